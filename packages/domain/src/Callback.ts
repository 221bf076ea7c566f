import { Schema } from "effect"
import { Json, TaskId, TaskRunId } from "./Ids.js"
import { storableInJsonb, Text } from "./Text.js"
import { taggedUnion } from "./TaggedUnion.js"
import { AssetRef, TaskRunStatus } from "./TaskRun.js"

/**
 * Callback body when the handler returned: where its output and assets are. `output` carries the
 * output inline (when the dispatch allowed it by size); the worker then wrote nothing at `outputPath`.
 */
export const CallbackSuccess = Schema.Struct({
  status: Schema.Literal("success"),
  attempt: Schema.Int,
  outputPath: Schema.String,
  outputSize: Schema.Int.pipe(Schema.nonNegative({ message: () => "outputSize must be a non-negative integer" })),
  output: Schema.optional(Json),
  assets: Schema.optionalWith(Schema.Record({ key: Schema.String, value: AssetRef }).pipe(storableInJsonb("assets")), {
    default: () => ({})
  }),
  logsPath: Schema.optional(Schema.String),
  selectedNext: Schema.optional(Schema.Array(TaskId))
})

/** Callback body when the handler failed. */
export const CallbackFailure = Schema.Struct({
  status: Schema.Literal("failure"),
  attempt: Schema.Int,
  error: Schema.String,
  errorCode: Schema.optional(Schema.String),
  retryable: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  retryAfterMs: Schema.optional(Schema.Int.pipe(Schema.between(0, 30 * 86_400_000, {
    message: () => "retryAfterMs must be an integer between 0 and 30 days in milliseconds"
  }))),
  details: Schema.optional(Json),
  logsPath: Schema.optional(Schema.String)
})

/** `POST /api/callback/:runId` body (spec "Callback Payload"). */
export const CallbackPayload = taggedUnion("status", CallbackSuccess, CallbackFailure)
export type CallbackPayload = typeof CallbackPayload.Type

/** The state the callback left the run in. */
export const CallbackResult = Schema.Struct({
  runId: TaskRunId,
  status: TaskRunStatus
})

/** `POST /api/heartbeat` body. */
export const HeartbeatRequest = Schema.Struct({
  runId: TaskRunId,
  attempt: Schema.Int
})

/** Answer to a heartbeat: `cancelled` tells the worker to stop the handler. */
export const HeartbeatResult = Schema.Struct({
  runId: TaskRunId,
  status: TaskRunStatus,
  cancelled: Schema.Boolean
})

/** `POST /api/progress` body. */
export const ProgressRequest = Schema.Struct({
  runId: TaskRunId,
  attempt: Schema.Int,
  percent: Schema.Number.pipe(Schema.between(0, 100, { message: () => "percent must be between 0 and 100" })),
  message: Schema.optional(Text.pipe(Schema.maxLength(2000)))
})
