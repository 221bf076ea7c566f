import { SqlClient, SqlSchema } from "@effect/sql"
import type { DlqParams } from "@pipeweave/domain/DeadLetter"
import { Clock, Effect, Schema } from "effect"
import { DbDate, DbDateOrNull, DbInt } from "./Rows.js"
import * as Spans from "@pipeweave/domain/Spans"

/** A dead letter with its run's input location and its pipeline run, if any. */
export const DeadLetterRow = Schema.Struct({
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
  inputInline: Schema.NullOr(Schema.String),
  storageBackend: Schema.String,
  priority: DbInt,
  metadata: Schema.Unknown,
  pipelineId: Schema.NullOr(Schema.String),
  failureMode: Schema.NullOr(Schema.Literal("fail-fast", "continue", "partial-merge")),
  pipelineStatus: Schema.NullOr(Schema.Literal("running", "completed", "failed", "partial", "cancelled"))
})
export type DeadLetterRow = typeof DeadLetterRow.Type

/** The filters of a page of dead letters. */
const DlqFilter = Schema.Struct({
  includeRetried: Schema.Boolean,
  taskId: Schema.optional(Schema.String),
  pipelineRunId: Schema.optional(Schema.String),
  pipelineId: Schema.optional(Schema.String)
})
const DlqPage = Schema.Struct({ ...DlqFilter.fields, limit: Schema.Number, offset: Schema.Number })

const Total = Schema.Struct({ total: DbInt })

/** A run that failed for good, as recorded in the dead letter queue. */
export interface NewDeadLetter {
  readonly id: string
  readonly taskRunId: string
  readonly taskId: string
  readonly pipelineRunId: string | null
  readonly codeVersion: number
  readonly codeHash: string
  readonly error: string
  readonly errorCode: string | null
  readonly attempts: number
}

/** The only writer of `dead_letters`, and its reads. */
export class DeadLetterStore extends Effect.Service<DeadLetterStore>()("@pipeweave/orchestrator/DeadLetterStore", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))
    const select = sql`
      SELECT d.*, r.input_path, r.input_inline, r.storage_backend, r.priority, r.metadata, p.pipeline_id, p.failure_mode,
             p.status AS pipeline_status
      FROM dead_letters d
      JOIN task_runs r ON r.id = d.task_run_id
      LEFT JOIN pipeline_runs p ON p.id = d.pipeline_run_id`

    const insert = Spans.fn("DeadLetterStore.insert")(function*(entry: NewDeadLetter) {
      yield* sql`INSERT INTO dead_letters ${
        sql.insert({
          id: entry.id,
          task_run_id: entry.taskRunId,
          task_id: entry.taskId,
          pipeline_run_id: entry.pipelineRunId,
          code_version: entry.codeVersion,
          code_hash: entry.codeHash,
          error: entry.error,
          error_code: entry.errorCode,
          attempts: entry.attempts,
          failed_at: yield* now
        })
      }`
    }, Effect.orDie)

    const listWhere = (params: typeof DlqFilter.Encoded) =>
      sql.and([
        ...(params.includeRetried ? [] : [sql`d.retried_run_id IS NULL`]),
        ...(params.taskId === undefined ? [] : [sql`d.task_id = ${params.taskId}`]),
        ...(params.pipelineRunId === undefined ? [] : [sql`d.pipeline_run_id = ${params.pipelineRunId}`]),
        ...(params.pipelineId === undefined ? [] : [sql`p.pipeline_id = ${params.pipelineId}`])
      ])

    const countEntries = SqlSchema.single({
      Request: DlqFilter,
      Result: Total,
      execute: (params) =>
        sql`
          SELECT count(*) AS total FROM dead_letters d LEFT JOIN pipeline_runs p ON p.id = d.pipeline_run_id
          WHERE ${listWhere(params)}`
    })

    const pageEntries = SqlSchema.findAll({
      Request: DlqPage,
      Result: DeadLetterRow,
      execute: (params) =>
        sql`${select} WHERE ${listWhere(params)} ORDER BY d.failed_at DESC, d.id DESC
            LIMIT ${params.limit} OFFSET ${params.offset}`
    })

    const list = Spans.fn("DeadLetterStore.list")(function*(params: DlqParams) {
      const { total } = yield* countEntries(params)
      const rows = yield* pageEntries(params)
      return { rows, total }
    }, Effect.orDie)

    const findEntry = SqlSchema.findOne({
      Request: Schema.String,
      Result: DeadLetterRow,
      execute: (id) => sql`${select} WHERE d.id = ${id}`
    })

    const find = Spans.fn("DeadLetterStore.find")(function*(id: string) {
      return yield* findEntry(id)
    }, Effect.orDie)

    const lockEntry = SqlSchema.findOne({
      Request: Schema.String,
      Result: DeadLetterRow,
      execute: (id) => sql`${select} WHERE d.id = ${id} FOR UPDATE OF d`
    })

    /** Like `find`, locking the entry for the rest of the transaction. */
    const lock = Spans.fn("DeadLetterStore.lock")(function*(id: string) {
      return yield* lockEntry(id)
    }, Effect.orDie)

    const markRetried = Spans.fn("DeadLetterStore.markRetried")(function*(id: string, newRunId: string) {
      yield* sql`UPDATE dead_letters SET retried_run_id = ${newRunId}, retried_at = ${yield* now} WHERE id = ${id}`
    }, Effect.orDie)

    const unretried = Spans.fn("DeadLetterStore.unretried")(function*(
      filter: { readonly pipelineId?: string | undefined; readonly taskId?: string | undefined }
    ) {
      const rows = yield* sql<{ id: string }>`
        SELECT d.id FROM dead_letters d LEFT JOIN pipeline_runs p ON p.id = d.pipeline_run_id
        WHERE d.retried_run_id IS NULL
          ${filter.pipelineId === undefined ? sql`` : sql`AND p.pipeline_id = ${filter.pipelineId}`}
          ${filter.taskId === undefined ? sql`` : sql`AND d.task_id = ${filter.taskId}`}
        ORDER BY d.failed_at`
      return rows.map((r) => r.id)
    }, Effect.orDie)

    /** Removes entries that failed before `cutoff`; returns how many. */
    const purgeBefore = Spans.fn("DeadLetterStore.purgeBefore")(function*(cutoff: Date, inclusive: boolean) {
      const purged = inclusive
        ? yield* sql`DELETE FROM dead_letters WHERE failed_at <= ${cutoff} RETURNING id`
        : yield* sql`DELETE FROM dead_letters WHERE failed_at < ${cutoff} RETURNING id`
      return purged.length
    }, Effect.orDie)

    return { insert, list, find, lock, markRetried, unretried, purgeBefore } as const
  })
}) {}
