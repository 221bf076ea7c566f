import { Schema } from "effect"
import { CodeHash, ServiceId, ServiceVersion, TaskId } from "./Ids.js"
import { RetryBackoff } from "./TaskOptions.js"

/** One running copy of a service, reachable at `baseUrl`. */
export const ServiceInstance = Schema.Struct({
  baseUrl: Schema.String,
  version: ServiceVersion,
  registeredAt: Schema.Date,
  /** Its last contact: registration, or a heartbeat of a task it runs (kept to about 15 s). */
  lastSeenAt: Schema.Date,
  /** Since when it refused connections or said it is leaving; `null` while it is reachable. */
  unreachableSince: Schema.optionalWith(Schema.NullOr(Schema.Date), { default: () => null })
})

/** A registered worker service (`GET /api/services`). */
export const ServiceInfo = Schema.Struct({
  serviceId: ServiceId,
  version: ServiceVersion,
  baseUrl: Schema.String,
  instances: Schema.Array(ServiceInstance),
  tasks: Schema.Array(TaskId),
  registeredAt: Schema.Date,
  updatedAt: Schema.Date
})
export type ServiceInfo = typeof ServiceInfo.Type

/** A registered task type with its code information (`GET /api/services/:id/tasks`). */
export const TaskInfo = Schema.Struct({
  taskId: TaskId,
  serviceId: ServiceId,
  codeHash: CodeHash,
  codeVersion: Schema.Int,
  allowedNext: Schema.Array(TaskId),
  timeout: Schema.Int,
  retries: Schema.Int,
  retryBackoff: RetryBackoff,
  retryDelayMs: Schema.Int,
  maxRetryDelayMs: Schema.NullOr(Schema.Int),
  heartbeatIntervalMs: Schema.Int,
  concurrency: Schema.Int,
  priority: Schema.Int,
  idempotencyTTL: Schema.NullOr(Schema.Int),
  hasIdempotencyKey: Schema.Boolean,
  description: Schema.NullOr(Schema.String),
  updatedAt: Schema.Date
})
export type TaskInfo = typeof TaskInfo.Type

/**
 * One row of `GET /api/tasks/:id/history`, newest first, in the spec's snake_case.
 * `taken_over_from` marks the version at which another service took the task over.
 */
export const CodeHistoryEntry = Schema.Struct({
  code_version: Schema.Int,
  code_hash: CodeHash,
  service_version: ServiceVersion,
  recorded_at: Schema.Date,
  service_id: Schema.optional(ServiceId),
  taken_over_from: Schema.optional(ServiceId)
})
export type CodeHistoryEntry = typeof CodeHistoryEntry.Type
