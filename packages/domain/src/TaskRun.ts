import { Schema } from "effect"
import { CodeHash, Json, PipelineRunId, TaskId, TaskRunId } from "./Ids.js"

/**
 * Life cycle of a task run. `pending` waits for a slot (or for its retry time), `dispatching`
 * has been claimed and sent to a worker, `running` has been acknowledged by a heartbeat;
 * `waiting` is a pipeline task whose predecessors are not decided yet.
 */
export const TaskRunStatus = Schema.Literal(
  "waiting",
  "pending",
  "dispatching",
  "running",
  "completed",
  "failed",
  "cancelled",
  "skipped"
)
export type TaskRunStatus = typeof TaskRunStatus.Type

/** One earlier attempt as handlers see it in `ctx.previousAttempts`. */
export const PreviousAttempt = Schema.Struct({
  attempt: Schema.Int,
  error: Schema.String,
  errorCode: Schema.optional(Schema.String),
  timestamp: Schema.Date
})
export type PreviousAttempt = typeof PreviousAttempt.Type

/** Outcome of one attempt. */
export const AttemptStatus = Schema.Literal("running", "completed", "failed", "timeout", "cancelled")

/** One attempt of a task run, as stored by the orchestrator; `lateCallback` records a callback refused because the attempt had already ended. */
export const TaskRunAttempt = Schema.Struct({
  attempt: Schema.Int,
  status: AttemptStatus,
  codeVersion: Schema.Int,
  codeHash: CodeHash,
  workerUrl: Schema.NullOr(Schema.String),
  startedAt: Schema.Date,
  endedAt: Schema.NullOr(Schema.Date),
  error: Schema.NullOr(Schema.String),
  errorCode: Schema.NullOr(Schema.String),
  /** The `details` of the attempt's TaskError (at most 8 KiB of JSON; a larger value is a marked preview). */
  errorDetails: Schema.optionalWith(Schema.NullOr(Json), { default: () => null }),
  lateCallback: Schema.NullOr(Schema.Struct({ at: Schema.Date, status: Schema.String }))
})
export type TaskRunAttempt = typeof TaskRunAttempt.Type

/** An asset a task persisted, as the callback reports it. */
export const AssetRef = Schema.Struct({
  path: Schema.String,
  size: Schema.Int.pipe(Schema.nonNegative({ message: () => "an asset's size must be a non-negative integer" })),
  type: Schema.Literal("json", "text", "binary")
})
export type AssetRef = typeof AssetRef.Type

/** What a running attempt last reported with `ctx.progress`. */
export const TaskProgress = Schema.Struct({ percent: Schema.Number, message: Schema.NullOr(Schema.String) })
export type TaskProgress = typeof TaskProgress.Type

/** Why one attempt failed. */
export const AttemptFailureSummary = Schema.Struct({
  attempt: Schema.Int,
  error: Schema.String,
  errorCode: Schema.NullOr(Schema.String)
})
export type AttemptFailureSummary = typeof AttemptFailureSummary.Type

/** A task run with everything the orchestrator knows about it (paths, never data). */
export const TaskRun = Schema.Struct({
  runId: TaskRunId,
  taskId: TaskId,
  pipelineRunId: Schema.NullOr(PipelineRunId),
  status: TaskRunStatus,
  priority: Schema.Int,
  attempt: Schema.Int,
  maxAttempts: Schema.Int,
  codeVersion: Schema.NullOr(Schema.Int),
  codeHash: Schema.NullOr(CodeHash),
  inputPath: Schema.String,
  outputPath: Schema.NullOr(Schema.String),
  outputSize: Schema.NullOr(Schema.Int),
  assets: Schema.Record({ key: Schema.String, value: AssetRef }),
  logsPath: Schema.NullOr(Schema.String),
  selectedNext: Schema.NullOr(Schema.Array(TaskId)),
  progress: Schema.NullOr(TaskProgress),
  error: Schema.NullOr(Schema.String),
  errorCode: Schema.NullOr(Schema.String),
  metadata: Json,
  createdAt: Schema.Date,
  availableAt: Schema.Date,
  startedAt: Schema.NullOr(Schema.Date),
  completedAt: Schema.NullOr(Schema.Date),
  lastHeartbeatAt: Schema.NullOr(Schema.Date),
  attempts: Schema.Array(TaskRunAttempt)
})
export type TaskRun = typeof TaskRun.Type
