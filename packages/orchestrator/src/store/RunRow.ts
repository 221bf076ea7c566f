import { Schema } from "effect"
import { AssetRef, TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { DbDate, DbDateOrNull, DbInt } from "./Rows.js"

/** A `task_runs` row, camel-cased. */
export const RunRow = Schema.Struct({
  id: Schema.String,
  taskId: Schema.String,
  pipelineRunId: Schema.NullOr(Schema.String),
  status: TaskRunStatus,
  priority: DbInt,
  attempt: DbInt,
  maxAttempts: DbInt,
  codeVersion: Schema.NullOr(DbInt),
  codeHash: Schema.NullOr(Schema.String),
  storageBackend: Schema.String,
  inputPath: Schema.String,
  inputInline: Schema.NullOr(Schema.String),
  outputPath: Schema.NullOr(Schema.String),
  outputSize: Schema.NullOr(DbInt),
  outputInline: Schema.NullOr(Schema.String),
  assets: Schema.Record({ key: Schema.String, value: AssetRef }),
  logsPath: Schema.NullOr(Schema.String),
  selectedNext: Schema.NullOr(Schema.Array(Schema.String)),
  progressPercent: Schema.NullOr(Schema.Number),
  progressMessage: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  errorCode: Schema.NullOr(Schema.String),
  metadata: Schema.Unknown,
  createdAt: DbDate,
  availableAt: DbDate,
  startedAt: DbDateOrNull,
  completedAt: DbDateOrNull,
  heartbeatIntervalMs: Schema.NullOr(DbInt),
  lastHeartbeatAt: DbDateOrNull,
  heartbeatDeadline: DbDateOrNull,
  timeoutAt: DbDateOrNull,
  workerUrl: Schema.NullOr(Schema.String),
  claimedBy: Schema.NullOr(Schema.String)
})
export type RunRow = typeof RunRow.Type

/** A `task_run_attempts` row. */
export const AttemptRow = Schema.Struct({
  runId: Schema.String,
  attempt: DbInt,
  status: Schema.Literal("running", "completed", "failed", "timeout", "cancelled"),
  codeVersion: DbInt,
  codeHash: Schema.String,
  workerUrl: Schema.NullOr(Schema.String),
  startedAt: DbDate,
  endedAt: DbDateOrNull,
  error: Schema.NullOr(Schema.String),
  errorCode: Schema.NullOr(Schema.String),
  /** jsonb: parsed by both drivers; absent before migration 0007. */
  errorDetails: Schema.optionalWith(Schema.Unknown, { default: () => null }),
  lateCallbackAt: DbDateOrNull,
  lateCallbackStatus: Schema.NullOr(Schema.String)
})
export type AttemptRow = typeof AttemptRow.Type
