import { SqlClient } from "@effect/sql"
import type { QueueItem, QueueItemsParams, QueueStatus } from "@pipeweave/domain/Queue"
import type { TaskRun } from "@pipeweave/domain/TaskRun"
import { Effect, Option, Schema } from "effect"
import { DbDateOrNull, DbInt } from "../Rows.js"
import { type AttemptRow, decodeAttemptRows, decodeRunRows, type RunRow } from "./RunRow.js"

export const toTaskRun = (run: RunRow, attempts: ReadonlyArray<AttemptRow>): TaskRun => ({
  runId: run.id,
  taskId: run.taskId,
  pipelineRunId: run.pipelineRunId,
  status: run.status,
  priority: run.priority,
  attempt: run.attempt,
  maxAttempts: run.maxAttempts,
  codeVersion: run.codeVersion,
  codeHash: run.codeHash,
  inputPath: run.inputPath,
  outputPath: run.outputPath,
  outputSize: run.outputSize,
  assets: run.assets,
  logsPath: run.logsPath,
  selectedNext: run.selectedNext,
  progress: run.progressPercent === null ? null : { percent: run.progressPercent, message: run.progressMessage },
  error: run.error,
  errorCode: run.errorCode,
  metadata: run.metadata,
  createdAt: run.createdAt,
  availableAt: run.availableAt,
  startedAt: run.startedAt,
  completedAt: run.completedAt,
  lastHeartbeatAt: run.lastHeartbeatAt,
  attempts: attempts.map(({ lateCallbackAt, lateCallbackStatus, runId: _, ...a }) => ({
    ...a,
    lateCallback: lateCallbackAt === null ? null : { at: lateCallbackAt, status: lateCallbackStatus ?? "unknown" }
  }))
})

const toQueueItem = (run: RunRow): QueueItem => ({
  runId: run.id,
  taskId: run.taskId,
  pipelineRunId: run.pipelineRunId,
  status: run.status,
  priority: run.priority,
  attempt: run.attempt,
  createdAt: run.createdAt,
  availableAt: run.availableAt,
  startedAt: run.startedAt,
  completedAt: run.completedAt,
  error: run.error
})

const StatusRow = Schema.Struct({
  pending: DbInt,
  running: DbInt,
  waiting: DbInt,
  completed: DbInt,
  failed: DbInt,
  dlq: DbInt,
  oldestPending: DbDateOrNull
})

/** Read models over task runs: one run with its attempts, queue statistics, filtered pages. */
export class TaskRunReads extends Effect.Service<TaskRunReads>()("@pipeweave/orchestrator/TaskRunReads", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const get = (runId: string) =>
      Effect.gen(function*() {
        const runs = yield* decodeRunRows(yield* sql`SELECT * FROM task_runs WHERE id = ${runId}`)
        const run = runs[0]
        if (run === undefined) return Option.none<TaskRun>()
        const attempts = yield* decodeAttemptRows(
          yield* sql`SELECT * FROM task_run_attempts WHERE run_id = ${runId} ORDER BY attempt`
        )
        return Option.some(toTaskRun(run, attempts))
      }).pipe(Effect.orDie)

    const status: Effect.Effect<QueueStatus> = Effect.gen(function*() {
      const rows = yield* Schema.decodeUnknown(Schema.Array(StatusRow))(
        yield* sql`
          SELECT
            count(*) FILTER (WHERE status = 'pending') AS pending,
            count(*) FILTER (WHERE status IN ('dispatching', 'running')) AS running,
            count(*) FILTER (WHERE status = 'waiting') AS waiting,
            count(*) FILTER (WHERE status = 'completed') AS completed,
            count(*) FILTER (WHERE status = 'failed') AS failed,
            (SELECT count(*) FROM dead_letters WHERE retried_run_id IS NULL) AS dlq,
            min(created_at) FILTER (WHERE status = 'pending') AS oldest_pending
          FROM task_runs`
      )
      return rows[0]!
    }).pipe(Effect.orDie)

    const items = (params: QueueItemsParams) =>
      Effect.gen(function*() {
        const filters = [
          params.status === undefined ? undefined : sql`status = ${params.status}`,
          params.taskId === undefined ? undefined : sql`task_id = ${params.taskId}`,
          params.pipelineRunId === undefined ? undefined : sql`pipeline_run_id = ${params.pipelineRunId}`
        ].filter((f) => f !== undefined)
        const where = sql.and(filters)
        const totals = yield* sql<{ total: number | string }>`SELECT count(*) AS total FROM task_runs WHERE ${where}`
        const rows = yield* decodeRunRows(
          yield* sql`SELECT * FROM task_runs WHERE ${where} ORDER BY created_at DESC, id DESC
                     LIMIT ${params.limit} OFFSET ${params.offset}`
        )
        return { items: rows.map(toQueueItem), total: Number(totals[0]!.total), limit: params.limit, offset: params.offset }
      }).pipe(Effect.orDie)

    return { get, status, items } as const
  })
}) {}
