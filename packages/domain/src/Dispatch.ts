import { Schema } from "effect"
import { CodeHash, Json, PipelineRunId, TaskId, TaskRunId } from "./Ids.js"
import { AssetRef, PreviousAttempt } from "./TaskRun.js"

/** Where a completed predecessor left its output and assets; a small output travels inline in `output`. */
export const UpstreamRef = Schema.Struct({
  outputPath: Schema.String,
  output: Schema.optional(Json),
  assets: Schema.Record({ key: Schema.String, value: AssetRef })
})
export type UpstreamRef = typeof UpstreamRef.Type

/**
 * `POST {baseUrl}/tasks/{taskId}`: what the orchestrator sends a worker. Metadata, plus small
 * payloads inline: the input travels in `input` and a predecessor's output in `upstream[id].output`
 * when they are at most `inlineLimitBytes` of JSON; anything absent is read from storage with the
 * sealed `storageToken`. An output of at most `inlineLimitBytes` goes back inline in the callback
 * (absent or 0: always to storage). Heartbeats, progress and the callback authenticate with
 * `callbackToken`.
 */
export class DispatchPayload extends Schema.Class<DispatchPayload>("DispatchPayload")({
  runId: TaskRunId,
  taskId: TaskId,
  pipelineRunId: Schema.NullOr(PipelineRunId),
  attempt: Schema.Int,
  codeVersion: Schema.Int,
  codeHash: CodeHash,
  inputPath: Schema.String,
  input: Schema.optional(Json),
  upstream: Schema.Record({ key: TaskId, value: UpstreamRef }),
  previousAttempts: Schema.Array(PreviousAttempt),
  heartbeatIntervalMs: Schema.Int,
  timeoutSeconds: Schema.Int,
  allowedNext: Schema.Array(TaskId),
  outputPath: Schema.String,
  assetsPrefix: Schema.String,
  logsPath: Schema.String,
  inlineLimitBytes: Schema.optional(Schema.Int.pipe(Schema.nonNegative())),
  storageToken: Schema.String,
  callbackToken: Schema.String
}) {}

/**
 * What a worker answers a dispatch with once the task ended and its callback was sent. `status` is
 * `success` only when the orchestrator accepted a success callback (or the idempotency cache
 * answered). `callback` is present when the callback was not accepted: `rejected` (the
 * orchestrator refused it, a 4xx) or `gave-up` (never answered); the ack is then a `failure`
 * whatever the handler did.
 */
export const DispatchAck = Schema.Struct({
  runId: TaskRunId,
  attempt: Schema.Int,
  status: Schema.Literal("success", "failure"),
  callback: Schema.optional(Schema.Literal("rejected", "gave-up"))
})
export type DispatchAck = typeof DispatchAck.Type

/** The most dispatches one grouped request may carry. */
export const MAX_GROUPED_DISPATCHES = 100

/** One dispatch of a group: a `DispatchPayload` plus the W3C `traceparent` of that run's dispatch span. */
export const GroupedDispatch = Schema.Struct({
  ...DispatchPayload.fields,
  traceparent: Schema.optional(Schema.String.pipe(Schema.maxLength(55)))
})
export type GroupedDispatch = typeof GroupedDispatch.Type

/**
 * `POST {baseUrl}/dispatches`: several runs for one worker instance in one request, for instances
 * that registered `dispatchGroups`. Each item is checked and executed exactly as a
 * `POST {baseUrl}/tasks/{taskId}` of its own.
 */
export const DispatchGroup = Schema.Struct({
  dispatches: Schema.Array(GroupedDispatch).pipe(
    Schema.minItems(1),
    Schema.maxItems(MAX_GROUPED_DISPATCHES, {
      message: () => `at most ${MAX_GROUPED_DISPATCHES} dispatches per request`
    })
  )
})
export type DispatchGroup = typeof DispatchGroup.Type

/**
 * What the worker decided for one item of a group, in the order of the request: `status` is the
 * HTTP status a single dispatch would have been answered with (200 accepted, 401/404/409 refused,
 * 429/503 back-pressure), `error` the reason of a refusal.
 */
export const GroupedDecision = Schema.Struct({
  runId: Schema.String,
  status: Schema.Int,
  error: Schema.optional(Schema.String)
})
export type GroupedDecision = typeof GroupedDecision.Type

/**
 * The answer of `POST {baseUrl}/dispatches`, newline-delimited JSON written as things happen: first
 * `{ "results": [GroupedDecision, ...] }` (one per item, in order, before any item runs to its end),
 * then `{ "done": DispatchAck }` as each accepted item finishes. The response ends when the last
 * accepted item has finished, so the executions stay inside the request's lifetime as a single
 * dispatch's do.
 */
export const GroupedResults = Schema.Struct({ results: Schema.Array(GroupedDecision) })
export const GroupedDone = Schema.Struct({ done: DispatchAck })
