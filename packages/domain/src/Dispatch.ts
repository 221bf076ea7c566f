import { Schema } from "effect"
import { CodeHash, PipelineRunId, TaskId, TaskRunId } from "./Ids.js"
import { AssetRef, PreviousAttempt } from "./TaskRun.js"

/** Where a completed predecessor left its output and assets. */
export const UpstreamRef = Schema.Struct({
  outputPath: Schema.String,
  assets: Schema.Record({ key: Schema.String, value: AssetRef })
})
export type UpstreamRef = typeof UpstreamRef.Type

/**
 * `POST {baseUrl}/tasks/{taskId}`: what the orchestrator sends a worker. Metadata only: the
 * worker reads the input and upstream outputs from storage with the sealed `storageToken`,
 * and authenticates heartbeats, progress and the callback with `callbackToken`.
 */
export class DispatchPayload extends Schema.Class<DispatchPayload>("DispatchPayload")({
  runId: TaskRunId,
  taskId: TaskId,
  pipelineRunId: Schema.NullOr(PipelineRunId),
  attempt: Schema.Int,
  codeVersion: Schema.Int,
  codeHash: CodeHash,
  inputPath: Schema.String,
  upstream: Schema.Record({ key: TaskId, value: UpstreamRef }),
  previousAttempts: Schema.Array(PreviousAttempt),
  heartbeatIntervalMs: Schema.Int,
  timeoutSeconds: Schema.Int,
  allowedNext: Schema.Array(TaskId),
  outputPath: Schema.String,
  assetsPrefix: Schema.String,
  logsPath: Schema.String,
  storageToken: Schema.String,
  callbackToken: Schema.String
}) {}

/** What a worker answers a dispatch with once the task ended and the callback was delivered. */
export const DispatchAck = Schema.Struct({
  runId: TaskRunId,
  attempt: Schema.Int,
  status: Schema.Literal("success", "failure")
})
export type DispatchAck = typeof DispatchAck.Type
