import { Schema } from "effect"
import { RetryBackoff } from "@pipeweave/domain/TaskOptions"
import { DbDate, DbInt } from "./Rows.js"

/** A `tasks` row, camel-cased. */
export const TaskRow = Schema.Struct({
  taskId: Schema.String,
  serviceId: Schema.String,
  codeHash: Schema.String,
  codeVersion: DbInt,
  allowedNext: Schema.Array(Schema.String),
  timeoutSeconds: DbInt,
  retries: DbInt,
  retryBackoff: RetryBackoff,
  retryDelayMs: DbInt,
  maxRetryDelayMs: Schema.NullOr(DbInt),
  heartbeatIntervalMs: DbInt,
  concurrency: DbInt,
  priority: DbInt,
  idempotencyTtlSeconds: Schema.NullOr(DbInt),
  hasIdempotencyKey: Schema.Boolean,
  description: Schema.NullOr(Schema.String),
  active: Schema.Boolean,
  updatedAt: DbDate
})
export type TaskRow = typeof TaskRow.Type
