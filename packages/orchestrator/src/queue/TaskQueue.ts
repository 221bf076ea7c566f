import { SqlClient } from "@effect/sql"
import { maxAttempts, retryDelayMs } from "@pipeweave/domain/Backoff"
import { Conflict, NotFound } from "@pipeweave/domain/Errors"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import type { AssetRef, TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { Clock, Effect, Option, Schema } from "effect"
import { newDlqId } from "../Ids.js"
import { DbInt } from "../Rows.js"
import { claimRuns } from "./Claim.js"
import { decodeRunRows, type RunRow } from "./RunRow.js"

/** A run to insert: `pending` (due at `availableAt`) or `waiting` for pipeline predecessors. */
export interface NewRun {
  readonly id: string
  readonly taskId: string
  readonly pipelineRunId: string | null
  readonly status: "pending" | "waiting"
  readonly priority: number
  readonly retries: number
  readonly storageBackend: string
  readonly inputPath: string
  readonly metadata: unknown
}

/** What a successful attempt reported. */
export interface AttemptSuccess {
  readonly outputPath: string
  readonly outputSize: number
  readonly assets: Readonly<Record<string, AssetRef>>
  readonly logsPath: string | null
  readonly selectedNext: ReadonlyArray<string> | null
}

/** What a failed attempt reported (or what the orchestrator observed). */
export interface AttemptFailure {
  readonly error: string
  readonly errorCode: string | null
  readonly retryable: boolean
  readonly retryAfterMs: number | null
  readonly logsPath: string | null
}

/** Where a failed attempt left its run. */
export type FailureOutcome = "retry-scheduled" | "dead-lettered"

const IN_FLIGHT = ["dispatching", "running"] as const

const PolicyRow = Schema.Struct({
  maxAttempts: DbInt,
  retryBackoff: Schema.Literal("fixed", "exponential"),
  retryDelayMs: DbInt,
  maxRetryDelayMs: Schema.NullOr(DbInt),
  codeVersion: DbInt,
  codeHash: Schema.String
})

/**
 * The task-run store: enqueue, claim and guarded state transitions. Every transition is one
 * `UPDATE … WHERE id = $1 AND attempt = $2 AND status IN (…)`; one that matches nothing is
 * answered `NotFound` (no such run) or `Conflict` (the attempt is no longer in flight).
 */
export class TaskQueue extends Effect.Service<TaskQueue>()("@pipeweave/orchestrator/TaskQueue", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

    const explainMiss = (runId: string, attempt: number) =>
      Effect.gen(function*() {
        const rows = yield* sql<{ status: TaskRunStatus; attempt: number | string }>`
          SELECT status, attempt FROM task_runs WHERE id = ${runId}`
        const row = rows[0]
        if (row === undefined) return yield* Effect.fail(NotFound.of("task run", runId))
        return yield* Effect.fail(
          new Conflict({
            message: `task run ${runId} attempt ${attempt} is not in flight (status ${row.status}, attempt ${row.attempt})`,
            currentStatus: row.status
          })
        )
      })

    const insertRuns = (runs: ReadonlyArray<NewRun>) =>
      Effect.gen(function*() {
        if (runs.length === 0) return
        const at = yield* now
        yield* sql`INSERT INTO task_runs ${
          sql.insert(runs.map((run) => ({
            id: run.id,
            task_id: run.taskId,
            pipeline_run_id: run.pipelineRunId,
            status: run.status,
            priority: run.priority,
            max_attempts: maxAttempts(run),
            storage_backend: run.storageBackend,
            input_path: run.inputPath,
            metadata: run.metadata === undefined ? null : JSON.stringify(run.metadata),
            created_at: at,
            available_at: at
          })))
        }`
      }).pipe(Effect.orDie)

    const claim = (limit: number, orchestratorId: string) =>
      Effect.flatMap(now, (at) => limit > 0 ? claimRuns(limit, at, orchestratorId) : Effect.succeed([])).pipe(
        Effect.provideService(SqlClient.SqlClient, sql)
      )

    const heartbeat = (runId: string, attempt: number) =>
      Effect.gen(function*() {
        const at = yield* now
        const rows = yield* sql<{ status: TaskRunStatus }>`
          UPDATE task_runs SET status = 'running', last_heartbeat_at = ${at},
            heartbeat_deadline = ${at}::timestamptz + (2 * heartbeat_interval_ms) * interval '1 millisecond'
          WHERE id = ${runId} AND attempt = ${attempt} AND status IN ${sql.in(IN_FLIGHT)}
          RETURNING status`.pipe(Effect.orDie)
        if (rows[0]) return { runId, status: rows[0].status, cancelled: false }
        return yield* cancelledOrMiss(runId, attempt)
      })

    const cancelledOrMiss = (runId: string, attempt: number) =>
      Effect.gen(function*() {
        const rows = yield* sql<{ status: TaskRunStatus }>`
          SELECT status FROM task_runs WHERE id = ${runId} AND attempt = ${attempt} AND status = 'cancelled'`.pipe(
          Effect.orDie
        )
        if (rows[0]) return { runId, status: rows[0].status, cancelled: true }
        return yield* explainMiss(runId, attempt).pipe(Effect.catchTag("SqlError", Effect.die))
      })

    const progress = (runId: string, attempt: number, percent: number, message: string | null) =>
      Effect.gen(function*() {
        const at = yield* now
        const rows = yield* sql<{ status: TaskRunStatus }>`
          UPDATE task_runs SET status = 'running', progress_percent = ${percent}, progress_message = ${message},
            last_heartbeat_at = ${at},
            heartbeat_deadline = ${at}::timestamptz + (2 * heartbeat_interval_ms) * interval '1 millisecond'
          WHERE id = ${runId} AND attempt = ${attempt} AND status IN ${sql.in(IN_FLIGHT)}
          RETURNING status`.pipe(Effect.orDie)
        if (rows[0]) return { runId, status: rows[0].status, cancelled: false }
        return yield* cancelledOrMiss(runId, attempt)
      })

    const complete = (runId: string, attempt: number, result: AttemptSuccess) =>
      Effect.gen(function*() {
        const at = yield* now
        const rows = yield* decodeRunRows(
          yield* sql`
            UPDATE task_runs SET status = 'completed', output_path = ${result.outputPath},
              output_size = ${result.outputSize}, assets = ${JSON.stringify(result.assets)},
              logs_path = ${result.logsPath},
              selected_next = ${result.selectedNext === null ? null : JSON.stringify(result.selectedNext)},
              error = NULL, error_code = NULL, completed_at = ${at}, heartbeat_deadline = NULL, timeout_at = NULL
            WHERE id = ${runId} AND attempt = ${attempt} AND status IN ${sql.in(IN_FLIGHT)}
            RETURNING *`
        ).pipe(Effect.orDie)
        const run = rows[0]
        if (run === undefined) return yield* explainMiss(runId, attempt).pipe(Effect.catchTag("SqlError", Effect.die))
        yield* sql`UPDATE task_run_attempts SET status = 'completed', ended_at = ${at}
                   WHERE run_id = ${runId} AND attempt = ${attempt}`.pipe(Effect.orDie)
        return run
      }).pipe(sql.withTransaction, Effect.catchTag("SqlError", Effect.die))

    const fail = (
      runId: string,
      attempt: number,
      failure: AttemptFailure,
      defaultMaxRetryDelayMs: number,
      onlyIn: ReadonlyArray<TaskRunStatus> = IN_FLIGHT
    ) =>
      Effect.gen(function*() {
        const at = yield* now
        const policies = yield* Schema.decodeUnknown(Schema.Array(PolicyRow))(
          yield* sql`
            SELECT r.max_attempts, t.retry_backoff, t.retry_delay_ms, t.max_retry_delay_ms, r.code_version, r.code_hash
            FROM task_runs r JOIN tasks t ON t.task_id = r.task_id
            WHERE r.id = ${runId} AND r.attempt = ${attempt} AND r.status IN ${sql.in(onlyIn)}
            FOR UPDATE OF r`
        )
        const policy = policies[0]
        if (policy === undefined) return yield* explainMiss(runId, attempt)
        const retry = failure.retryable && attempt < policy.maxAttempts
        const delay = failure.retryAfterMs ?? retryDelayMs({
          retries: policy.maxAttempts - 1,
          retryBackoff: policy.retryBackoff,
          retryDelayMs: policy.retryDelayMs,
          maxRetryDelayMs: policy.maxRetryDelayMs ?? defaultMaxRetryDelayMs
        }, attempt + 1)
        const timedOut = failure.errorCode === ErrorCodes.timeout || failure.errorCode === ErrorCodes.heartbeatTimeout
        yield* sql`UPDATE task_run_attempts SET status = ${timedOut ? "timeout" : "failed"}, ended_at = ${at},
                     error = ${failure.error}, error_code = ${failure.errorCode}
                   WHERE run_id = ${runId} AND attempt = ${attempt}`
        const rows = yield* decodeRunRows(
          yield* sql`
            UPDATE task_runs SET status = ${retry ? "pending" : "failed"}, error = ${failure.error},
              error_code = ${failure.errorCode}, logs_path = COALESCE(${failure.logsPath}, logs_path),
              available_at = ${new Date(at.getTime() + (retry ? delay : 0))},
              completed_at = ${retry ? null : at}, heartbeat_deadline = NULL, timeout_at = NULL
            WHERE id = ${runId}
            RETURNING *`
        )
        if (!retry) {
          yield* sql`INSERT INTO dead_letters ${
            sql.insert({
              id: newDlqId(),
              task_run_id: runId,
              task_id: rows[0]!.taskId,
              pipeline_run_id: rows[0]!.pipelineRunId,
              code_version: policy.codeVersion,
              code_hash: policy.codeHash,
              error: failure.error,
              error_code: failure.errorCode,
              attempts: attempt,
              failed_at: at
            })
          }`
        }
        const outcome: FailureOutcome = retry ? "retry-scheduled" : "dead-lettered"
        return { run: rows[0]!, outcome }
      }).pipe(sql.withTransaction, Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die }))

    const requeue = (runId: string, attempt: number, delayMs: number) =>
      Effect.gen(function*() {
        const at = yield* now
        const rows = yield* sql`
          UPDATE task_runs SET status = 'pending', attempt = attempt - 1,
            available_at = ${new Date(at.getTime() + delayMs)}, heartbeat_deadline = NULL, timeout_at = NULL
          WHERE id = ${runId} AND attempt = ${attempt} AND status = 'dispatching'
          RETURNING id`
        if (rows.length > 0) {
          yield* sql`DELETE FROM task_run_attempts WHERE run_id = ${runId} AND attempt = ${attempt}`
        }
        return rows.length > 0
      }).pipe(sql.withTransaction, Effect.orDie)

    const owner = (runId: string) =>
      sql<{ taskId: string; pipelineRunId: string | null }>`
        SELECT task_id, pipeline_run_id FROM task_runs WHERE id = ${runId}`.pipe(
        Effect.map((rows) => Option.fromNullable(rows[0])),
        Effect.orDie
      )

    return { insertRuns, claim, heartbeat, progress, complete, fail, requeue, owner, explainMiss } as const
  })
}) {}

export type { RunRow }
