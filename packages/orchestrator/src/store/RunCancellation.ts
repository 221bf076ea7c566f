import { type SqlClient, SqlSchema, type Statement } from "@effect/sql"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { Clock, Effect, Schema } from "effect"
import * as Spans from "@pipeweave/domain/Spans"

/** The statuses a run may be cancelled from: not yet ended. */
const UNFINISHED = ["waiting", "pending", "dispatching", "running"] as const

const CancelledRow = Schema.Struct({
  id: Schema.String,
  taskId: Schema.String,
  pipelineRunId: Schema.NullOr(Schema.String),
  status: Schema.Literal("cancelled")
})

const CancelRequest = Schema.Struct({ runId: Schema.String, reason: Schema.String, at: Schema.DateFromSelf })
const CancelAllRequest = Schema.Struct({
  pipelineRunId: Schema.String,
  reason: Schema.String,
  at: Schema.DateFromSelf
})

/**
 * An operator's cancellation of task runs not yet ended. A run in flight ends `cancelled` at once
 * with its attempt: its worker learns it at the next heartbeat (answered `cancelled: true`) and
 * any later callback finds no attempt in flight. Part of `TaskRuns`, the table's one writer.
 */
export const runCancellation = (sql: SqlClient.SqlClient) => {
  const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
  const unfinished = sql.literal(`status IN (${UNFINISHED.map((s) => `'${s}'`).join(", ")})`)

  /** Cancels the unfinished runs `which` selects, with their attempts in flight; returns them. */
  const cancelled = (which: Statement.Fragment, at: Date, reason: string) =>
    sql`
      WITH run AS (
        UPDATE task_runs SET status = 'cancelled', error = ${reason}, error_code = ${ErrorCodes.cancelled},
          completed_at = ${at}, heartbeat_deadline = NULL, timeout_at = NULL
        WHERE ${which} AND ${unfinished}
        RETURNING id, task_id, pipeline_run_id, status, attempt
      ), ended AS (
        UPDATE task_run_attempts a SET status = 'cancelled', ended_at = ${at}, error = ${reason},
          error_code = ${ErrorCodes.cancelled}
        FROM run WHERE a.run_id = run.id AND a.attempt = run.attempt AND a.status = 'running'
      )
      SELECT id, task_id, pipeline_run_id, status FROM run ORDER BY id`

  const cancelRun = SqlSchema.findAll({
    Request: CancelRequest,
    Result: CancelledRow,
    execute: ({ at, reason, runId }) => cancelled(sql`id = ${runId}`, at, reason)
  })

  const cancelAllRuns = SqlSchema.findAll({
    Request: CancelAllRequest,
    Result: CancelledRow,
    execute: ({ at, pipelineRunId, reason }) => cancelled(sql`pipeline_run_id = ${pipelineRunId}`, at, reason)
  })

  /** Cancels run `runId` if it has not ended; returns it then, nothing otherwise. */
  const cancel = Spans.fn("TaskRuns.cancel")(function*(runId: string, reason: string) {
    const rows = yield* cancelRun({ runId, reason, at: yield* now })
    return rows[0]
  }, Effect.orDie)

  /** Cancels every run of pipeline run `pipelineRunId` that has not ended; returns them. */
  const cancelAllOf = Spans.fn("TaskRuns.cancelAllOf")(function*(pipelineRunId: string, reason: string) {
    return yield* cancelAllRuns({ pipelineRunId, reason, at: yield* now })
  }, Effect.orDie)

  return { cancel, cancelAllOf } as const
}
