import { SqlClient } from "@effect/sql"
import { maxAttempts, retryDelayMs } from "@pipeweave/domain/Backoff"
import { Conflict, NotFound } from "@pipeweave/domain/Errors"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { currentTraceparent } from "@pipeweave/domain/TraceContext"
import { Clock, Effect, Option, Schema } from "effect"
import { claimLimited, claimUnlimited, insertClaiming, type InsertedRunRow, lockLimitedTypes } from "./ClaimRuns.js"
import type { ClaimedRun } from "./ClaimedRun.js"
import type { AttemptFailure, AttemptSuccess, NewRun } from "./NewRun.js"
import {
  completedRunsOf,
  completeManyClaimingQuery,
  completeManyQuery,
  completePlannedQuery,
  completeRequest,
  completeRoutedRunQuery,
  completeRunQuery,
  type CompletedAttempt,
  completionsInput,
  type PlannedRouting,
  type RoutedCompletion,
  TransitionedRun
} from "./CompletionStatements.js"
import { DbInt } from "./Rows.js"
import { RunRow } from "./RunRow.js"
import { heartbeatDeadline, IN_FLIGHT, inFlight } from "./RunSql.js"
import { runCancellation } from "./RunCancellation.js"
import { insertPipelineRunStatement, type NewPipelineRun } from "./PipelineRuns.js"
import { runMaintenance } from "./RunMaintenance.js"
import * as PlainSqlSchema from "./PlainSqlSchema.js"
import * as Spans from "@pipeweave/domain/Spans"

export type { PlannedRouting, RoutedCompletion, TransitionedRun }

/** Where a failed attempt left its run, with the code it ran (for the dead letter). */
export interface FailedRun {
  readonly run: TransitionedRun
  readonly outcome: "retry-scheduled" | "dead-lettered"
  /** How long until the next attempt may start, when one is scheduled (0 otherwise). */
  readonly retryDelayMs: number
  readonly codeVersion: number
  readonly codeHash: string
}

const PolicyRow = Schema.Struct({
  maxAttempts: DbInt,
  retryBackoff: Schema.Literal("fixed", "exponential"),
  retryDelayMs: DbInt,
  maxRetryDelayMs: Schema.NullOr(DbInt),
  codeVersion: DbInt,
  codeHash: Schema.String
})

/** How stale an instance's `last_seen_at` may get before a heartbeat rewrites it. */
export const LAST_SEEN_RESOLUTION_SECONDS = 15

const Where = Schema.Struct({ status: Schema.String, attempt: DbInt })

/** One attempt of one run. */
const RunAttempt = Schema.Struct({ runId: Schema.String, attempt: Schema.Number })

/** A heartbeat (with progress, when the worker reported some) of an attempt at `at`. */
const TouchRequest = Schema.Struct({
  ...RunAttempt.fields,
  at: Schema.DateFromSelf,
  progress: Schema.NullOr(Schema.Struct({ percent: Schema.Number, message: Schema.NullOr(Schema.String) }))
})

/** An attempt that may be failed while its run is in one of `onlyIn`. */
const PolicyRequest = Schema.Struct({ ...RunAttempt.fields, onlyIn: Schema.Array(Schema.String) })

/** A failed attempt's columns, the run's next status and due time decided from its task's policy. */
const FailRequest = Schema.Struct({
  ...PolicyRequest.fields,
  at: Schema.DateFromSelf,
  status: Schema.Literal("pending", "failed"),
  attemptStatus: Schema.Literal("failed", "timeout"),
  error: Schema.String,
  errorCode: Schema.NullOr(Schema.String),
  details: Schema.NullOr(Schema.String),
  logsPath: Schema.NullOr(Schema.String),
  availableAt: Schema.DateFromSelf,
  completedAt: Schema.NullOr(Schema.DateFromSelf)
})

const Owner = Schema.Struct({ taskId: Schema.String, pipelineRunId: Schema.NullOr(Schema.String) })

/** How often the claim re-reads whether any task type has a concurrency limit. */
const LIMITS_REFRESH_MS = 1000

/**
 * The only writer of `task_runs` and `task_run_attempts`: inserts, the claim, and guarded
 * transitions. Every transition is one statement guarded by `id`, `attempt` and the statuses it
 * may leave; one that matches nothing is answered `NotFound` (no such run) or `Conflict` (the
 * attempt is no longer in flight), and changes nothing.
 */
export class TaskRuns extends Effect.Service<TaskRuns>()("@pipeweave/orchestrator/TaskRuns", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const maintenance = runMaintenance(sql)
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
    const findWhere = PlainSqlSchema.findOne({
      Request: Schema.String,
      Result: Where,
      execute: (id) => sql`SELECT status, attempt FROM task_runs WHERE id = ${id}`
    })

    const explainMiss = (runId: string, attempt: number): Effect.Effect<never, NotFound | Conflict> =>
      Effect.flatMap(Effect.orDie(findWhere(runId)), (row) =>
        Effect.fail<NotFound | Conflict>(
          Option.isNone(row)
            ? NotFound.of("task run", runId)
            : new Conflict({
              message: `task run ${runId} attempt ${attempt} is not in flight (status ${row.value.status}, attempt ${
                row.value.attempt
              })`,
              currentStatus: row.value.status as TaskRunStatus
            })
        ))

    const insertClaimingRuns = insertClaiming(sql)

    /**
     * Inserts runs. With `claim` (a limit above 0), claims up to that many of the pending ones as it
     * does, in the same statement (see `insertClaiming`), and returns them; otherwise returns none.
     * With `pipelineRun`, the pipeline run they belong to is inserted by the same statement.
     */
    const insert = Spans.fn("TaskRuns.insert")(function*(
      runs: ReadonlyArray<NewRun>,
      claim?: { readonly limit: number; readonly orchestratorId: string },
      pipelineRun?: NewPipelineRun
    ) {
      if (runs.length === 0) return [] as ReadonlyArray<ClaimedRun>
      const at = yield* now
      const traceparent = yield* currentTraceparent
      const rows = runs.map((run) => ({
        id: run.id,
        task_id: run.taskId,
        pipeline_run_id: run.pipelineRunId,
        status: run.status,
        priority: run.priority,
        max_attempts: maxAttempts(run),
        storage_backend: run.storageBackend,
        input_path: run.inputPath,
        input_inline: run.inputInline,
        traceparent: run.traceparent ?? traceparent
      }))
      if ((claim !== undefined && claim.limit > 0) || pipelineRun !== undefined) {
        const input = rows.map((row, ord): InsertedRunRow => ({ ord, metadata: runs[ord]!.metadata ?? null, ...row }))
        return yield* insertClaimingRuns({
          rows: JSON.stringify(input),
          limit: claim?.limit ?? 0,
          now: at,
          orchestratorId: claim?.orchestratorId ?? "",
          pipeline: pipelineRun === undefined ? undefined : insertPipelineRunStatement(sql, pipelineRun, at, traceparent)
        })
      }
      yield* sql`INSERT INTO task_runs ${
        sql.insert(rows.map((row, i) => ({
          metadata: runs[i]!.metadata === undefined ? null : JSON.stringify(runs[i]!.metadata),
          created_at: at,
          available_at: at,
          ...row
        })))
      }`
      return [] as ReadonlyArray<ClaimedRun>
    }, Effect.orDie)

    let limitsCheckedAt = Number.NEGATIVE_INFINITY
    let anyLimited = false
    const findAnyLimited = PlainSqlSchema.findOne({
      Request: Schema.Void,
      Result: Schema.Struct({ any: Schema.Boolean }),
      execute: () => sql`SELECT EXISTS (SELECT 1 FROM tasks WHERE concurrency > 0) AS any`
    })
    const refreshLimits = Effect.gen(function*() {
      const at = yield* Clock.currentTimeMillis
      if (at - limitsCheckedAt < LIMITS_REFRESH_MS) return anyLimited
      const row = yield* findAnyLimited()
      limitsCheckedAt = at
      anyLimited = Option.isSome(row) && row.value.any
      return anyLimited
    })
    const claimLimitedRuns = claimLimited(sql)
    const claimUnlimitedRuns = claimUnlimited(sql)

    const claim = Spans.fn("TaskRuns.claim")(function*(limit: number, orchestratorId: string) {
      if (limit <= 0) return []
      const at = yield* now
      const limited = (yield* refreshLimits)
        ? yield* Effect.gen(function*() {
          const locked = yield* lockLimitedTypes(sql, at)
          if (locked.length === 0) return []
          return yield* claimLimitedRuns({ limit, now: at, orchestratorId, lockedTaskIds: locked.map((l) => l.taskId) })
        }).pipe(sql.withTransaction)
        : []
      const rest = limit - limited.length
      if (rest === 0) return limited
      const unlimited = yield* claimUnlimitedRuns({ limit: rest, now: at, orchestratorId })
      return limited.length === 0 ? unlimited : [...limited, ...unlimited]
    }, Effect.orDie)

    /** Forgets the cached answer to "does any task type have a concurrency limit?" (after a registration). */
    const limitsChanged = Effect.sync(() => {
      limitsCheckedAt = Number.NEGATIVE_INFINITY
    })

    /**
     * Whether a task type may have a concurrency limit, by the claim's cached answer (at most
     * `LIMITS_REFRESH_MS` old; yes while unknown): only then can a run ending let a waiting run of
     * its type be claimed.
     */
    const mayHaveLimitedTypes = () => anyLimited || limitsCheckedAt === Number.NEGATIVE_INFINITY

    /**
     * A heartbeat (or progress report) also refreshes its instance's `last_seen_at`, in the same
     * statement and at most once per `LAST_SEEN_RESOLUTION_SECONDS`, so instances of busy services
     * are not written on every beat.
     */
    const touchRun = PlainSqlSchema.findOne({
      Request: TouchRequest,
      Result: Schema.Struct({ status: TaskRunStatus }),
      execute: ({ at, attempt, progress, runId }) =>
        sql`
          WITH run AS (
            UPDATE task_runs SET status = 'running', last_heartbeat_at = ${at},
              heartbeat_deadline = ${heartbeatDeadline(sql, at)}
              ${progress === null ? sql`` : sql`, progress_percent = ${progress.percent}, progress_message = ${progress.message}`}
            WHERE id = ${runId} AND attempt = ${attempt} AND ${inFlight(sql)}
            RETURNING status, worker_url
          ), seen AS (
            UPDATE service_instances i SET last_seen_at = ${at}
            FROM run WHERE i.base_url = run.worker_url
              AND i.last_seen_at < ${at}::timestamptz - ${LAST_SEEN_RESOLUTION_SECONDS} * interval '1 second'
          )
          SELECT status FROM run`
    })

    const touch = (runId: string, attempt: number, progress: { percent: number; message: string | null } | null) =>
      Effect.gen(function*() {
        const at = yield* now
        const touched = yield* touchRun({ runId, attempt, at, progress }).pipe(Effect.orDie)
        if (Option.isSome(touched)) return { runId, status: touched.value.status, cancelled: false }
        const where = yield* Effect.orDie(findWhere(runId))
        if (Option.isSome(where) && where.value.status === "cancelled" && where.value.attempt === attempt) {
          return { runId, status: "cancelled" as const, cancelled: true }
        }
        return yield* explainMiss(runId, attempt)
      })

    const heartbeat = Spans.fn("TaskRuns.heartbeat")(function*(runId: string, attempt: number) {
      return yield* touch(runId, attempt, null)
    })

    const progress = Spans.fn("TaskRuns.progress")(
      function*(runId: string, attempt: number, percent: number, message: string | null) {
        return yield* touch(runId, attempt, { percent, message })
      }
    )

    const completeRunStatement = completeRunQuery(sql)
    const completeRoutedRunStatement = completeRoutedRunQuery(sql)
    const completePlannedStatement = completePlannedQuery(sql)

    /**
     * Completes `attempt` of run `runId` (a guarded transition: only while that attempt is in
     * flight). With `routed`, the completion's routing is applied in the same statement, only if
     * the run did complete: its pipeline's task runs moved and the pipeline run's routing saved.
     */
    const complete = Spans.fn("TaskRuns.complete")(function*(
      runId: string,
      attempt: number,
      result: AttemptSuccess,
      routed?: RoutedCompletion
    ) {
      const at = yield* now
      if (routed !== undefined) {
        yield* Spans.annotateCurrentSpan({
          "pipeweave.pipeline_run.id": routed.pipelineRunId,
          "pipeweave.routing.started": routed.transition.start.join(",")
        })
      }
      const request = completeRequest(runId, attempt, at, result)
      const run = yield* (routed === undefined ? completeRunStatement(request) : completeRoutedRunStatement({ routed, ...request })).pipe(
        Effect.catchTag("ParseError", Effect.die)
      )
      if (Option.isNone(run)) return yield* explainMiss(runId, attempt)
      return run.value as TransitionedRun
    }, Effect.catchTag("SqlError", Effect.die))

    /**
     * Completes `attempt` of pipeline task run `runId` with its routing planned against the
     * pipeline run's routing state as last seen (`routed.expected`), in one statement, claiming up
     * to `claim.limit` of the runs it starts (see `completePlannedStatement`). `None` when it
     * changed nothing: the routing state was not that one, the pipeline run was locked or had
     * ended, or the attempt was not in flight; then complete it under the lock (`complete`).
     */
    const completePlanned = Spans.fn("TaskRuns.completePlanned")(function*(
      runId: string,
      attempt: number,
      result: AttemptSuccess,
      routed: PlannedRouting,
      claim: { readonly limit: number; readonly orchestratorId: string }
    ) {
      yield* Spans.annotateCurrentSpan({
        "pipeweave.pipeline_run.id": routed.pipelineRunId,
        "pipeweave.routing.started": routed.transition.start.join(",")
      })
      const rows = yield* completePlannedStatement({
        routed,
        limit: claim.limit,
        orchestratorId: claim.orchestratorId,
        ...completeRequest(runId, attempt, yield* now, result)
      })
      const [first] = rows
      if (first === undefined) return Option.none()
      const run: TransitionedRun = {
        id: first.completedId,
        taskId: first.completedTaskId,
        pipelineRunId: routed.pipelineRunId,
        status: first.completedStatus
      }
      const claimed = rows.flatMap((row): ReadonlyArray<ClaimedRun> => row.id === null ? [] : [row])
      return Option.some({ run, claimed })
    }, Effect.orDie)

    const completeRuns = completeManyQuery(sql)
    const completeRunsClaiming = completeManyClaimingQuery(sql)

    /**
     * Completes several attempts in one statement (the same guarded transition as `complete`);
     * returns the runs that matched. Callers explain the others with `explainMiss`.
     */
    const completeMany = Spans.fn("TaskRuns.completeMany")(function*(items: ReadonlyArray<CompletedAttempt>) {
      const rows = yield* completeRuns({ at: yield* now, input: completionsInput(items) })
      return rows as ReadonlyArray<TransitionedRun & { readonly attempt: number }>
    })

    /**
     * `completeMany`, claiming in the same statement up to `limit` due runs of task types without a
     * concurrency limit, for `orchestratorId` (see `completeManyClaimingQuery`): the runs that
     * matched, and the runs claimed.
     */
    const completeManyClaiming = Spans.fn("TaskRuns.completeManyClaiming")(function*(
      items: ReadonlyArray<CompletedAttempt>,
      limit: number,
      orchestratorId: string
    ) {
      const rows = yield* completeRunsClaiming({ at: yield* now, input: completionsInput(items), limit, orchestratorId })
      const json = rows.find((row) => row.completed !== null)?.completed
      const completed = json === undefined || json === null ? [] : yield* completedRunsOf(json)
      return {
        completed: completed as ReadonlyArray<TransitionedRun & { readonly attempt: number }>,
        claimed: rows.flatMap((row): ReadonlyArray<ClaimedRun> => row.id === null ? [] : [row])
      }
    })

    const findPolicy = PlainSqlSchema.findOne({
      Request: PolicyRequest,
      Result: PolicyRow,
      execute: ({ attempt, onlyIn, runId }) =>
        sql`
          SELECT r.max_attempts, t.retry_backoff, t.retry_delay_ms, t.max_retry_delay_ms, r.code_version, r.code_hash
          FROM task_runs r JOIN tasks t ON t.task_id = r.task_id
          WHERE r.id = ${runId} AND r.attempt = ${attempt} AND r.status IN ${sql.in(onlyIn)}
          FOR UPDATE OF r`
    })

    const failRun = PlainSqlSchema.findOne({
      Request: FailRequest,
      Result: TransitionedRun,
      execute: (r) =>
        sql`
          WITH run AS (
            UPDATE task_runs SET status = ${r.status}, error = ${r.error},
              error_code = ${r.errorCode}, logs_path = COALESCE(${r.logsPath}, logs_path),
              available_at = ${r.availableAt},
              completed_at = ${r.completedAt}, heartbeat_deadline = NULL, timeout_at = NULL
            WHERE id = ${r.runId} AND attempt = ${r.attempt} AND status IN ${sql.in(r.onlyIn)}
            RETURNING id, task_id, pipeline_run_id, status
          ), ended AS (
            UPDATE task_run_attempts a SET status = ${r.attemptStatus}, ended_at = ${r.at},
              error = ${r.error}, error_code = ${r.errorCode}, error_details = ${r.details}::jsonb
            WHERE a.run_id = ${r.runId} AND a.attempt = ${r.attempt} AND EXISTS (SELECT 1 FROM run)
          )
          SELECT * FROM run`
    })

    const fail = Spans.fn("TaskRuns.fail")(function*(
      runId: string,
      attempt: number,
      failure: AttemptFailure,
      defaultMaxRetryDelayMs: number,
      onlyIn: ReadonlyArray<TaskRunStatus> = IN_FLIGHT
    ) {
      const at = yield* now
      const found = yield* findPolicy({ runId, attempt, onlyIn }).pipe(Effect.catchTag("ParseError", Effect.die))
      if (Option.isNone(found)) return yield* explainMiss(runId, attempt)
      const policy = found.value
      const retry = failure.retryable && attempt < policy.maxAttempts
      const delay = failure.retryAfterMs ?? retryDelayMs({
        retries: policy.maxAttempts - 1,
        retryBackoff: policy.retryBackoff,
        retryDelayMs: policy.retryDelayMs,
        maxRetryDelayMs: policy.maxRetryDelayMs ?? defaultMaxRetryDelayMs
      }, attempt + 1)
      const timedOut = failure.errorCode === ErrorCodes.timeout || failure.errorCode === ErrorCodes.heartbeatTimeout
      const run = yield* failRun({
        runId,
        attempt,
        onlyIn,
        at,
        status: retry ? "pending" : "failed",
        attemptStatus: timedOut ? "timeout" : "failed",
        error: failure.error,
        errorCode: failure.errorCode,
        details: failure.details ?? null,
        logsPath: failure.logsPath,
        availableAt: new Date(at.getTime() + (retry ? delay : 0)),
        completedAt: retry ? null : at
      }).pipe(Effect.catchTag("ParseError", Effect.die))
      if (Option.isNone(run)) return yield* explainMiss(runId, attempt)
      return {
        run: run.value as TransitionedRun,
        outcome: retry ? "retry-scheduled" : "dead-lettered",
        retryDelayMs: retry ? delay : 0,
        codeVersion: policy.codeVersion,
        codeHash: policy.codeHash
      } satisfies FailedRun
    }, Effect.catchTag("SqlError", Effect.die))

    const requeue = Spans.fn("TaskRuns.requeue")(function*(runId: string, attempt: number, delayMs: number) {
      const at = yield* now
      const rows = yield* sql<{ id: string }>`
        WITH run AS (
          UPDATE task_runs SET status = 'pending', attempt = attempt - 1,
            available_at = ${new Date(at.getTime() + delayMs)}, heartbeat_deadline = NULL, timeout_at = NULL
          WHERE id = ${runId} AND attempt = ${attempt} AND status = 'dispatching'
          RETURNING id
        ), removed AS (
          DELETE FROM task_run_attempts a USING run WHERE a.run_id = run.id AND a.attempt = ${attempt}
        )
        SELECT id FROM run`
      return rows.length > 0
    }, Effect.orDie)

    const recordLateCallback = Spans.fn("TaskRuns.recordLateCallback")(
      function*(runId: string, attempt: number, status: string) {
        const at = yield* now
        yield* sql`UPDATE task_run_attempts SET late_callback_at = ${at}, late_callback_status = ${status}
                   WHERE run_id = ${runId} AND attempt = ${attempt} AND status <> 'running'`
      },
      Effect.orDie
    )

    const lockRunInFlight = PlainSqlSchema.findOne({
      Request: RunAttempt,
      Result: RunRow,
      execute: ({ attempt, runId }) =>
        sql`SELECT * FROM task_runs WHERE id = ${runId} AND attempt = ${attempt} AND ${inFlight(sql)} FOR UPDATE`
    })

    /** Locks run `runId` while `attempt` is in flight (call it in a transaction). */
    const lockInFlight = Spans.fn("TaskRuns.lockInFlight")(function*(runId: string, attempt: number) {
      return yield* lockRunInFlight({ runId, attempt })
    }, Effect.orDie)

    const findOwner = PlainSqlSchema.findOne({
      Request: Schema.String,
      Result: Owner,
      execute: (runId) => sql`SELECT task_id, pipeline_run_id FROM task_runs WHERE id = ${runId}`
    })

    const owner = (runId: string) => Effect.orDie(findOwner(runId))

    return {
      insert,
      claim,
      limitsChanged,
      mayHaveLimitedTypes,
      heartbeat,
      progress,
      complete,
      completePlanned,
      completeMany,
      completeManyClaiming,
      fail,
      requeue,
      recordLateCallback,
      lockInFlight,
      owner,
      explainMiss,
      ...maintenance,
      ...runCancellation(sql)
    } as const
  })
}) {}
