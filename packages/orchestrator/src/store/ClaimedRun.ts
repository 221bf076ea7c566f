import { AssetRef } from "@pipeweave/domain/TaskRun"
import { Schema } from "effect"
import { DbDate, DbInt } from "./Rows.js"

const PreviousAttemptRow = Schema.Struct({
  attempt: DbInt,
  error: Schema.String,
  errorCode: Schema.NullOr(Schema.String),
  timestamp: Schema.Date
})

/** A completed run of the same pipeline run, as the claim returns it (its output inline when small). */
export const CompletedSibling = Schema.Struct({
  taskId: Schema.String,
  outputPath: Schema.NullOr(Schema.String),
  outputInline: Schema.NullOr(Schema.String),
  assets: Schema.Record({ key: Schema.String, value: AssetRef })
})
export type CompletedSibling = typeof CompletedSibling.Type

/**
 * A run the claim moved to `dispatching`, with everything its dispatch needs: the task's
 * settings, the chosen worker instance, earlier attempts' errors and, for a pipeline task, the run's
 * structure snapshot (undecoded), its inline input and its completed runs.
 */
export const ClaimedRun = Schema.Struct({
  id: Schema.String,
  taskId: Schema.String,
  pipelineRunId: Schema.NullOr(Schema.String),
  attempt: DbInt,
  codeVersion: DbInt,
  codeHash: Schema.String,
  heartbeatIntervalMs: DbInt,
  timeoutSeconds: DbInt,
  storageBackend: Schema.String,
  inputPath: Schema.String,
  inputInline: Schema.NullOr(Schema.String),
  workerUrl: Schema.NullOr(Schema.String),
  /** How many runs the chosen instance takes in one grouped dispatch; `null`: single dispatches only. */
  dispatchGroupMax: Schema.NullOr(DbInt),
  availableAt: DbDate,
  allowedNext: Schema.Array(Schema.String),
  hasIdempotencyKey: Schema.Boolean,
  previousAttempts: Schema.Array(PreviousAttemptRow),
  structure: Schema.Unknown,
  pipelineInputInline: Schema.NullOr(Schema.String),
  completedSiblings: Schema.Array(CompletedSibling),
  /** The trace context the run was queued in (W3C `traceparent`), when tracing was on. */
  traceparent: Schema.NullOr(Schema.String),
  /** The task's service (the claim chose `workerUrl` among its instances). */
  serviceId: Schema.String
})
export type ClaimedRun = typeof ClaimedRun.Type
