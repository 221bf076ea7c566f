import { Page, PageParams } from "./Pagination.js"
import { Schema } from "effect"
import { DateParam } from "./DateParam.js"
import { Json, PipelineRunId, TaskId, TaskRunId } from "./Ids.js"
import { Priority } from "./Priority.js"
import { Metadata } from "./Text.js"
import { TaskRunStatus } from "./TaskRun.js"

/** `POST /api/queue/task` body. */
export class QueueTaskRequest extends Schema.Class<QueueTaskRequest>("QueueTaskRequest")({
  taskId: TaskId,
  input: Schema.optionalWith(Json, { default: () => ({}) }),
  priority: Schema.optional(Priority),
  metadata: Schema.optional(Metadata)
}) {}

/** `POST /api/queue/task` answer. */
export const QueueTaskResponse = Schema.Struct({
  runId: TaskRunId,
  status: Schema.Literal("queued"),
  taskId: TaskId,
  inputPath: Schema.String
})
export type QueueTaskResponse = typeof QueueTaskResponse.Type

/** `POST /api/queue/batch` body: all tasks are queued, or none. */
export class QueueBatchRequest extends Schema.Class<QueueBatchRequest>("QueueBatchRequest")({
  tasks: Schema.Array(QueueTaskRequest).pipe(
    Schema.minItems(1, { message: () => "tasks must hold at least one task" }),
    Schema.maxItems(1000, { message: () => "tasks may hold at most 1000 tasks per batch" })
  )
}) {}

/** `POST /api/queue/batch` answer. */
export const QueueBatchResponse = Schema.Struct({
  queued: Schema.Int,
  results: Schema.Array(Schema.Struct({ runId: TaskRunId, taskId: TaskId, status: Schema.Literal("queued") }))
})

/** `GET /api/queue/status` answer. */
export const QueueStatus = Schema.Struct({
  pending: Schema.Int,
  running: Schema.Int,
  waiting: Schema.Int,
  completed: Schema.Int,
  failed: Schema.Int,
  dlq: Schema.Int,
  oldestPending: Schema.NullOr(Schema.Date)
})
export type QueueStatus = typeof QueueStatus.Type

/** One minute of `GET /api/queue/throughput`: task runs that finished in it. */
export const ThroughputBucket = Schema.Struct({
  start: Schema.Date,
  completed: Schema.Int,
  failed: Schema.Int
})

/** `GET /api/queue/throughput`: task runs finished in the last hour, minute by minute, oldest first. */
export const Throughput = Schema.Struct({
  since: Schema.Date,
  until: Schema.Date,
  bucketSeconds: Schema.Int,
  completed: Schema.Int,
  failed: Schema.Int,
  buckets: Schema.Array(ThroughputBucket)
})
export type Throughput = typeof Throughput.Type

/**
 * `GET /api/queue/items` query string. `standalone=true` keeps only runs queued on their own (no
 * pipeline run); `since`/`until` bound the creation time (`since` inclusive, `until` exclusive).
 */
export const QueueItemsParams = Schema.Struct({
  status: Schema.optional(TaskRunStatus),
  taskId: Schema.optional(TaskId),
  pipelineRunId: Schema.optional(PipelineRunId),
  standalone: Schema.optional(Schema.BooleanFromString),
  since: Schema.optional(DateParam),
  until: Schema.optional(DateParam),
  ...PageParams
})
export type QueueItemsParams = typeof QueueItemsParams.Type

/** One row of `GET /api/queue/items`. */
export const QueueItem = Schema.Struct({
  runId: TaskRunId,
  taskId: TaskId,
  pipelineRunId: Schema.NullOr(PipelineRunId),
  status: TaskRunStatus,
  priority: Schema.Int,
  attempt: Schema.Int,
  createdAt: Schema.Date,
  availableAt: Schema.Date,
  startedAt: Schema.NullOr(Schema.Date),
  completedAt: Schema.NullOr(Schema.Date),
  error: Schema.NullOr(Schema.String)
})
export type QueueItem = typeof QueueItem.Type

/** `GET /api/queue/items` answer, newest first. */
export const QueueItemsPage = Page(QueueItem)
