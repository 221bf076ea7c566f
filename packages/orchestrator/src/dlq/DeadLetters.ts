import { SqlClient } from "@effect/sql"
import type { DlqDetail, DlqItem, DlqParams } from "@pipeweave/domain/DeadLetter"
import { Conflict, NotFound } from "@pipeweave/domain/Errors"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Clock, Effect, Option, Schema } from "effect"
import { newTaskRunId } from "../Ids.js"
import { PipelineEngine } from "../pipeline/PipelineEngine.js"
import { decodeAttemptRows } from "../queue/RunRow.js"
import { TaskQueue } from "../queue/TaskQueue.js"
import { Registry } from "../registry/Registry.js"
import { DbDate, DbDateOrNull, DbInt } from "../Rows.js"

const EntryRow = Schema.Struct({
  id: Schema.String,
  taskRunId: Schema.String,
  taskId: Schema.String,
  pipelineRunId: Schema.NullOr(Schema.String),
  codeVersion: DbInt,
  codeHash: Schema.String,
  error: Schema.String,
  errorCode: Schema.NullOr(Schema.String),
  attempts: DbInt,
  failedAt: DbDate,
  retriedRunId: Schema.NullOr(Schema.String),
  retriedAt: DbDateOrNull,
  inputPath: Schema.String,
  storageBackend: Schema.String,
  priority: DbInt,
  metadata: Schema.Unknown,
  pipelineId: Schema.NullOr(Schema.String),
  failureMode: Schema.NullOr(Schema.Literal("fail-fast", "continue", "partial-merge")),
  pipelineStatus: Schema.NullOr(Schema.Literal("running", "completed", "failed", "partial", "cancelled"))
})
type EntryRow = typeof EntryRow.Type
const decodeEntries = Schema.decodeUnknown(Schema.Array(EntryRow))

/**
 * The dead letter queue: runs that failed for good, with everything needed to understand and
 * retry them. A retry queues a new run of the same input with the task's current code version;
 * in a pipeline it resumes the run (DESIGN §3).
 */
export class DeadLetters extends Effect.Service<DeadLetters>()("@pipeweave/orchestrator/DeadLetters", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const backends = yield* StorageBackends
    const registry = yield* Registry
    const queue = yield* TaskQueue
    const engine = yield* PipelineEngine

    const select = sql`
      SELECT d.*, r.input_path, r.storage_backend, r.priority, r.metadata, p.pipeline_id, p.failure_mode,
             p.status AS pipeline_status
      FROM dead_letters d
      JOIN task_runs r ON r.id = d.task_run_id
      LEFT JOIN pipeline_runs p ON p.id = d.pipeline_run_id`

    const inputOf = (row: EntryRow) =>
      Option.match(backends.get(row.storageBackend), {
        onNone: () => Effect.succeed<unknown>(null),
        onSome: (backend) =>
          backend.get(row.inputPath).pipe(
            Effect.map((bytes): unknown => JSON.parse(Buffer.from(bytes).toString("utf8"))),
            Effect.orElseSucceed(() => null)
          )
      })

    const toItem = (row: EntryRow) =>
      Effect.map(inputOf(row), (input): DlqItem => ({
        id: row.id,
        taskRunId: row.taskRunId,
        taskId: row.taskId,
        pipelineRunId: row.pipelineRunId,
        codeVersion: row.codeVersion,
        codeHash: row.codeHash,
        error: row.error,
        errorCode: row.errorCode,
        attempts: row.attempts,
        failedAt: row.failedAt,
        input,
        retriedRunId: row.retriedRunId,
        retriedAt: row.retriedAt
      }))

    const list = (params: DlqParams) =>
      Effect.gen(function*() {
        const where = sql.and([
          ...(params.includeRetried ? [] : [sql`d.retried_run_id IS NULL`]),
          ...(params.taskId === undefined ? [] : [sql`d.task_id = ${params.taskId}`]),
          ...(params.pipelineRunId === undefined ? [] : [sql`d.pipeline_run_id = ${params.pipelineRunId}`]),
          ...(params.pipelineId === undefined ? [] : [sql`p.pipeline_id = ${params.pipelineId}`])
        ])
        const totals = yield* sql<{ total: number | string }>`
          SELECT count(*) AS total FROM dead_letters d LEFT JOIN pipeline_runs p ON p.id = d.pipeline_run_id WHERE ${where}`
        const rows = yield* decodeEntries(
          yield* sql`${select} WHERE ${where} ORDER BY d.failed_at DESC, d.id DESC LIMIT ${params.limit} OFFSET ${params.offset}`
        )
        const items = yield* Effect.forEach(rows, toItem, { concurrency: 8 })
        return { items, total: Number(totals[0]!.total), limit: params.limit, offset: params.offset }
      }).pipe(Effect.orDie)

    const find = (id: string) =>
      sql`${select} WHERE d.id = ${id}`.pipe(
        Effect.flatMap(decodeEntries),
        Effect.map((rows) => Option.fromNullable(rows[0])),
        Effect.orDie
      )

    const show = (id: string) =>
      Effect.gen(function*() {
        const row = yield* Effect.flatMap(find(id), Option.match({
          onNone: () => Effect.fail(NotFound.of("dead letter", id)),
          onSome: Effect.succeed
        }))
        const attempts = yield* sql`SELECT * FROM task_run_attempts WHERE run_id = ${row.taskRunId} ORDER BY attempt`.pipe(
          Effect.flatMap(decodeAttemptRows),
          Effect.orDie
        )
        const item = yield* toItem(row)
        return {
          ...item,
          inputPath: row.inputPath,
          attemptErrors: attempts.filter((a) => a.error !== null).map((a) => ({
            attempt: a.attempt,
            error: a.error!,
            ...(a.errorCode === null ? {} : { errorCode: a.errorCode }),
            timestamp: a.endedAt ?? a.startedAt
          })),
          pipeline: row.pipelineRunId !== null && row.pipelineId !== null && row.failureMode !== null && row.pipelineStatus !== null
            ? { pipelineRunId: row.pipelineRunId, pipelineId: row.pipelineId, failureMode: row.failureMode, status: row.pipelineStatus }
            : null
        } satisfies DlqDetail
      })

    const retryRow = (row: EntryRow) =>
      Effect.gen(function*() {
        if (row.retriedRunId !== null) {
          return yield* new Conflict({ message: `dead letter ${row.id} was already retried as ${row.retriedRunId}` })
        }
        const task = (yield* registry.tasksById([row.taskId])).get(row.taskId)
        if (task === undefined || !task.active) {
          return yield* new Conflict({ message: `task '${row.taskId}' is no longer registered; register it before retrying` })
        }
        const newRunId = newTaskRunId()
        const at = new Date(yield* Clock.currentTimeMillis)
        const pipeline = row.pipelineRunId === null ? Option.none() : yield* engine.lock(row.pipelineRunId)
        yield* queue.insertRuns([{
          id: newRunId,
          taskId: row.taskId,
          pipelineRunId: row.pipelineRunId,
          status: "pending",
          priority: row.priority,
          retries: task.retries,
          storageBackend: row.storageBackend,
          inputPath: row.inputPath,
          metadata: row.metadata ?? undefined
        }])
        yield* sql`UPDATE dead_letters SET retried_run_id = ${newRunId}, retried_at = ${at} WHERE id = ${row.id}`
        if (Option.isSome(pipeline)) yield* engine.resume(pipeline.value, row.taskId)
        return { newRunId, status: "queued" as const, codeVersion: task.codeVersion }
      }).pipe(Effect.catchTags({ SqlError: Effect.die }))

    const retry = (id: string) =>
      Effect.gen(function*() {
        const locked = yield* decodeEntries(yield* sql`${select} WHERE d.id = ${id} FOR UPDATE OF d`)
        const row = locked[0]
        if (row === undefined) return yield* NotFound.of("dead letter", id)
        return yield* retryRow(row)
      }).pipe(sql.withTransaction, Effect.catchTags({ SqlError: Effect.die, ParseError: Effect.die }))

    const retryAll = (filter: { readonly pipelineId?: string | undefined; readonly taskId?: string | undefined }) =>
      Effect.gen(function*() {
        const ids = yield* sql<{ id: string }>`
          SELECT d.id FROM dead_letters d LEFT JOIN pipeline_runs p ON p.id = d.pipeline_run_id
          WHERE d.retried_run_id IS NULL
            ${filter.pipelineId === undefined ? sql`` : sql`AND p.pipeline_id = ${filter.pipelineId}`}
            ${filter.taskId === undefined ? sql`` : sql`AND d.task_id = ${filter.taskId}`}
          ORDER BY d.failed_at`.pipe(Effect.orDie)
        const results = yield* Effect.forEach(ids, ({ id }) =>
          retry(id).pipe(
            Effect.map((r) => Option.some({ id, newRunId: r.newRunId })),
            Effect.catchTags({ Conflict: () => Effect.succeed(Option.none()), NotFound: () => Effect.succeed(Option.none()) })
          ))
        const retried = results.flatMap(Option.toArray)
        return { retried: retried.length, results: retried }
      })

    const purgeOlderThan = (ageMs: number) =>
      Effect.gen(function*() {
        const cutoff = new Date((yield* Clock.currentTimeMillis) - ageMs)
        const purged = yield* sql`DELETE FROM dead_letters WHERE failed_at < ${cutoff} RETURNING id`
        return { purged: purged.length }
      }).pipe(Effect.orDie)

    return { list, show, retry, retryAll, purgeOlderThan } as const
  })
}) {}
