import { Schema } from "effect"
import { Json } from "./Ids.js"

/** A handler failure with a code for retry logic; `retryable: false` sends the run to the DLQ at once. */
export class TaskError extends Schema.TaggedError<TaskError>()("TaskError", {
  message: Schema.String,
  code: Schema.optional(Schema.String),
  retryable: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  details: Schema.optional(Json)
}) {}

/** The handler hit a rate limit: retry after `retryAfterMs` instead of the backoff delay. */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  retryAfterMs: Schema.Int.pipe(Schema.nonNegative()),
  message: Schema.optionalWith(Schema.String, { default: () => "rate limited" })
}) {}

/** The handler ran past its task's `timeout`. */
export class Timeout extends Schema.TaggedError<Timeout>()("Timeout", {
  message: Schema.optionalWith(Schema.String, { default: () => "task timed out" })
}) {}

/** Error codes the runtime itself assigns. */
export const ErrorCodes = {
  timeout: "TIMEOUT",
  heartbeatTimeout: "HEARTBEAT_TIMEOUT",
  rateLimited: "RATE_LIMITED",
  invalidNext: "INVALID_NEXT",
  dispatchFailed: "DISPATCH_FAILED",
  handlerError: "HANDLER_ERROR",
  storageError: "STORAGE_ERROR",
  invalidOutput: "INVALID_OUTPUT",
  assetNotFound: "ASSET_NOT_FOUND",
  invalidAsset: "INVALID_ASSET",
  invalidIdempotencyKey: "INVALID_IDEMPOTENCY_KEY",
  idempotencyCheckFailed: "IDEMPOTENCY_CHECK_FAILED",
  orphaned: "ORPHANED",
  pipelineFailed: "PIPELINE_FAILED",
  cancelled: "CANCELLED"
} as const
