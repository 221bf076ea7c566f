import { SqlClient, SqlSchema } from "@effect/sql"
import { redactUrl } from "@pipeweave/domain/RedactedUrl"
import type { QueueItem, QueueItemsParams, QueueStatus, Throughput } from "@pipeweave/domain/Queue"
import type { TaskRun } from "@pipeweave/domain/TaskRun"
import { Effect, Option, Schema } from "effect"
import { DbDateOrNull, DbInt } from "./Rows.js"
import { AttemptRow, RunRow } from "./RunRow.js"
import * as Spans from "@pipeweave/domain/Spans"

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
    workerUrl: a.workerUrl === null ? null : redactUrl(a.workerUrl),
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

const THROUGHPUT_BUCKETS = 60
const THROUGHPUT_BUCKET_SECONDS = 60

const ThroughputWindow = Schema.Struct({ since: Schema.DateFromSelf, until: Schema.DateFromSelf })
const ThroughputRow = Schema.Struct({ bucket: DbInt, completed: DbInt, failed: DbInt })

/** The filters of a queue items page. */
const ItemsFilter = Schema.Struct({
  status: Schema.optional(Schema.String),
  taskId: Schema.optional(Schema.String),
  pipelineRunId: Schema.optional(Schema.String),
  standalone: Schema.optional(Schema.Boolean),
  since: Schema.optional(Schema.DateFromSelf),
  until: Schema.optional(Schema.DateFromSelf)
})
const ItemsPage = Schema.Struct({ ...ItemsFilter.fields, limit: Schema.Number, offset: Schema.Number })

const Total = Schema.Struct({ total: DbInt })

/** The JSON text kept inline for a storage key, when there is a row for it. */
const InlineJson = Schema.Struct({ json: Schema.NullOr(Schema.String) })

/** Read models over task runs: one run with its attempts, queue statistics, filtered pages. */
export class TaskRunReads extends Effect.Service<TaskRunReads>()("@pipeweave/orchestrator/TaskRunReads", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const find = SqlSchema.findOne({
      Request: Schema.String,
      Result: RunRow,
      execute: (runId) => sql`SELECT * FROM task_runs WHERE id = ${runId}`
    })

    const attempts = SqlSchema.findAll({
      Request: Schema.String,
      Result: AttemptRow,
      execute: (runId) => sql`SELECT * FROM task_run_attempts WHERE run_id = ${runId} ORDER BY attempt`
    })

    const get = (runId: string) =>
      Effect.gen(function*() {
        const run = yield* find(runId)
        if (Option.isNone(run)) return Option.none<TaskRun>()
        return Option.some(toTaskRun(run.value, yield* attempts(runId)))
      }).pipe(Effect.orDie, Spans.withSpan("TaskRunReads.get"))

    const findStatus = SqlSchema.single({
      Request: Schema.Void,
      Result: StatusRow,
      execute: () =>
        sql`
          WITH counts AS (
            SELECT status, sum(n) AS n FROM (
              SELECT status, n FROM task_run_counts UNION ALL SELECT status, delta FROM task_run_count_deltas
            ) c GROUP BY status
          )
          SELECT
            COALESCE((SELECT sum(n) FROM counts WHERE status = 'pending'), 0) AS pending,
            COALESCE((SELECT sum(n) FROM counts WHERE status IN ('dispatching', 'running')), 0) AS running,
            COALESCE((SELECT sum(n) FROM counts WHERE status = 'waiting'), 0) AS waiting,
            COALESCE((SELECT sum(n) FROM counts WHERE status = 'completed'), 0) AS completed,
            COALESCE((SELECT sum(n) FROM counts WHERE status = 'failed'), 0) AS failed,
            (SELECT count(*) FROM dead_letters WHERE retried_run_id IS NULL) AS dlq,
            (SELECT min(created_at) FROM task_runs WHERE status = 'pending') AS oldest_pending`
    })

    /** Counts by status from `task_run_counts` and its pending deltas: no scan of `task_runs`. */
    const status: Effect.Effect<QueueStatus> = findStatus().pipe(Effect.orDie, Spans.withSpan("TaskRunReads.status"))

    const findThroughput = SqlSchema.findAll({
      Request: ThroughputWindow,
      Result: ThroughputRow,
      execute: ({ since, until }) =>
        sql`
          SELECT
            floor(extract(epoch FROM (completed_at - ${since}::timestamptz)) / ${THROUGHPUT_BUCKET_SECONDS})::int AS bucket,
            count(*) FILTER (WHERE status = 'completed') AS completed,
            count(*) FILTER (WHERE status = 'failed') AS failed
          FROM task_runs
          WHERE status IN ('completed', 'failed') AND completed_at >= ${since} AND completed_at < ${until}
          GROUP BY 1`
    })

    /** Task runs finished in the hour before `nowMillis`, minute by minute (`task_runs_finished` index). */
    const throughput = (nowMillis: number): Effect.Effect<Throughput> => {
      const until = new Date(Math.floor(nowMillis / 1000) * 1000)
      const since = new Date(until.getTime() - THROUGHPUT_BUCKETS * THROUGHPUT_BUCKET_SECONDS * 1000)
      return findThroughput({ since, until }).pipe(
        Effect.map((rows) => {
          const byBucket = new Map(rows.map((row) => [row.bucket, row]))
          const buckets = Array.from({ length: THROUGHPUT_BUCKETS }, (_, bucket) => ({
            start: new Date(since.getTime() + bucket * THROUGHPUT_BUCKET_SECONDS * 1000),
            completed: byBucket.get(bucket)?.completed ?? 0,
            failed: byBucket.get(bucket)?.failed ?? 0
          }))
          return {
            since,
            until,
            bucketSeconds: THROUGHPUT_BUCKET_SECONDS,
            completed: buckets.reduce((sum, b) => sum + b.completed, 0),
            failed: buckets.reduce((sum, b) => sum + b.failed, 0),
            buckets
          }
        }),
        Effect.orDie,
        Spans.withSpan("TaskRunReads.throughput")
      )
    }

    const itemsWhere = (params: typeof ItemsFilter.Encoded) => {
      const filters = [
        params.status === undefined ? undefined : sql`status = ${params.status}`,
        params.taskId === undefined ? undefined : sql`task_id = ${params.taskId}`,
        params.pipelineRunId === undefined ? undefined : sql`pipeline_run_id = ${params.pipelineRunId}`,
        params.standalone === true ? sql`pipeline_run_id IS NULL` : undefined,
        params.since === undefined ? undefined : sql`created_at >= ${params.since}`,
        params.until === undefined ? undefined : sql`created_at < ${params.until}`
      ].filter((f) => f !== undefined)
      return sql.and(filters)
    }

    const countItems = SqlSchema.single({
      Request: ItemsFilter,
      Result: Total,
      execute: (params) => sql`SELECT count(*) AS total FROM task_runs WHERE ${itemsWhere(params)}`
    })

    const pageItems = SqlSchema.findAll({
      Request: ItemsPage,
      Result: RunRow,
      execute: (params) =>
        sql`SELECT * FROM task_runs WHERE ${itemsWhere(params)} ORDER BY created_at DESC, id DESC
            LIMIT ${params.limit} OFFSET ${params.offset}`
    })

    const items = (params: QueueItemsParams) =>
      Effect.gen(function*() {
        const { total } = yield* countItems(params)
        const rows = yield* pageItems(params)
        return { items: rows.map(toQueueItem), total, limit: params.limit, offset: params.offset }
      }).pipe(Effect.orDie)

    const standaloneInput = SqlSchema.findOne({
      Request: Schema.String,
      Result: InlineJson,
      execute: (runId) => sql`SELECT input_inline AS json FROM task_runs WHERE id = ${runId}`
    })
    const pipelineInput = SqlSchema.findOne({
      Request: Schema.String,
      Result: InlineJson,
      execute: (pipelineRunId) => sql`SELECT input_inline AS json FROM pipeline_runs WHERE id = ${pipelineRunId}`
    })
    const output = SqlSchema.findOne({
      Request: Schema.Struct({ runId: Schema.String, scope: Schema.String }),
      Result: InlineJson,
      execute: ({ runId, scope }) =>
        sql`
          SELECT output_inline AS json FROM task_runs
          WHERE id = ${runId} AND COALESCE(pipeline_run_id, id) = ${scope}`
    })

    /**
     * The JSON text kept in the database for a storage key of an input or output that was small
     * enough to stay inline (`standalone/{run}/input.json`, `pipelines/{run}/input.json`,
     * `runs/{scope}/outputs/{run}.json`).
     */
    const inlineObject = (key: string) =>
      Effect.gen(function*() {
        const standalone = /^standalone\/(trun_[A-Za-z0-9]+)\/input\.json$/.exec(key)
        const pipeline = /^pipelines\/(prun_[A-Za-z0-9]+)\/input\.json$/.exec(key)
        const outputKey = /^runs\/((?:trun|prun)_[A-Za-z0-9]+)\/outputs\/(trun_[A-Za-z0-9]+)\.json$/.exec(key)
        const row = standalone
          ? yield* standaloneInput(standalone[1]!)
          : pipeline
          ? yield* pipelineInput(pipeline[1]!)
          : outputKey
          ? yield* output({ runId: outputKey[2]!, scope: outputKey[1]! })
          : Option.none()
        return Option.flatMap(row, ({ json }) => Option.fromNullable(json))
      }).pipe(Effect.orDie)

    return { inlineObject, find: (runId: string) => Effect.orDie(find(runId)), attempts: (runId: string) => Effect.orDie(attempts(runId)), get, status, throughput, items } as const
  })
}) {}
