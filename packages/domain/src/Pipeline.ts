import { Page, PageParams } from "./Pagination.js"
import { Schema } from "effect"
import { AssetRef, AttemptFailureSummary, TaskProgress, TaskRunStatus } from "./TaskRun.js"
import { CodeHash, Json, PipelineId, PipelineRunId, ServiceId, TaskId, TaskRunId } from "./Ids.js"
import { PlanLevel } from "./pipeline/ExecutionPlan.js"
import { PipelineStructure } from "./pipeline/PipelineStructure.js"
import { FailureMode } from "./pipeline/Routing.js"
import { DateParam } from "./DateParam.js"
import { Priority } from "./Priority.js"
import { Metadata } from "./Text.js"

/** Status of a pipeline run. */
export const PipelineRunStatus = Schema.Literal("running", "completed", "failed", "partial", "cancelled")
export type PipelineRunStatus = typeof PipelineRunStatus.Type

/** The latest run of a pipeline, as `GET /api/pipelines` shows it. */
export const LastRun = Schema.Struct({ runId: PipelineRunId, status: PipelineRunStatus, createdAt: Schema.Date })

/** A pipeline as registered now: declared by a worker, or a task without predecessor. */
export const PipelineInfo = Schema.Struct({
  id: PipelineId,
  declared: Schema.Boolean,
  serviceId: Schema.NullOr(ServiceId),
  description: Schema.NullOr(Schema.String),
  entry: Schema.Array(TaskId),
  tasks: Schema.Array(TaskId),
  edges: Schema.Array(Schema.Struct({ from: TaskId, to: TaskId })),
  version: Schema.NullOr(Schema.String),
  problems: Schema.Array(Schema.String),
  lastRun: Schema.NullOr(LastRun)
})
export type PipelineInfo = typeof PipelineInfo.Type

/** `POST /api/pipelines/:id/trigger` body. */
export class TriggerRequest extends Schema.Class<TriggerRequest>("TriggerRequest")({
  input: Schema.optionalWith(Json, { default: () => ({}) }),
  failureMode: Schema.optionalWith(FailureMode, { default: () => "fail-fast" as const }),
  priority: Schema.optional(Priority),
  metadata: Schema.optional(Metadata)
}) {}

/** `POST /api/pipelines/:id/trigger` answer. */
export const TriggerResponse = Schema.Struct({
  pipelineRunId: PipelineRunId,
  status: PipelineRunStatus,
  pipelineVersion: Schema.String,
  inputPath: Schema.String
})

/** `POST /api/pipelines/:id/dry-run` body (the input is accepted for symmetry; nothing runs). */
export class DryRunRequest extends Schema.Class<DryRunRequest>("DryRunRequest")({
  input: Schema.optional(Json)
}) {}

/** `POST /api/pipelines/:id/dry-run` answer: the validation and the execution plan. */
export const DryRunResult = Schema.Struct({
  pipelineId: PipelineId,
  valid: Schema.Boolean,
  pipelineVersion: Schema.NullOr(Schema.String),
  plan: Schema.Array(PlanLevel),
  lines: Schema.Array(Schema.String),
  warnings: Schema.Array(Schema.String),
  problems: Schema.Array(Schema.String)
})
export type DryRunResult = typeof DryRunResult.Type

/** One row of `GET /api/runs`. */
export const PipelineRunSummary = Schema.Struct({
  runId: PipelineRunId,
  pipelineId: PipelineId,
  status: PipelineRunStatus,
  failureMode: FailureMode,
  pipelineVersion: Schema.String,
  createdAt: Schema.Date,
  completedAt: Schema.NullOr(Schema.Date)
})


/** `GET /api/runs` query: filters, newest first, pagination. */
export const RunsParams = Schema.Struct({
  pipelineId: Schema.optional(PipelineId),
  status: Schema.optional(PipelineRunStatus),
  since: Schema.optional(DateParam),
  until: Schema.optional(DateParam),
  ...PageParams
})
export type RunsParams = typeof RunsParams.Type

export const RunsPage = Page(PipelineRunSummary)

/** One task of a pipeline run in `GET /api/runs/:id`. */
export const RunTask = Schema.Struct({
  taskId: TaskId,
  taskRunId: Schema.NullOr(TaskRunId),
  status: TaskRunStatus,
  attempts: Schema.Int,
  startedAt: Schema.NullOr(Schema.Date),
  completedAt: Schema.NullOr(Schema.Date),
  durationMs: Schema.NullOr(Schema.Number),
  outputPath: Schema.NullOr(Schema.String),
  assets: Schema.Record({ key: Schema.String, value: AssetRef }),
  codeVersion: Schema.NullOr(Schema.Int),
  codeHash: Schema.NullOr(CodeHash),
  currentCodeVersion: Schema.NullOr(Schema.Int),
  codeChanged: Schema.Boolean,
  error: Schema.NullOr(Schema.String),
  errorCode: Schema.NullOr(Schema.String),
  /** The current (or last) attempt's number; 0 before the first dispatch. */
  attempt: Schema.optionalWith(Schema.Int, { default: () => 0 }),
  maxAttempts: Schema.optionalWith(Schema.Int, { default: () => 1 }),
  /** What the running attempt last reported with `ctx.progress` (cleared when an attempt starts). */
  progress: Schema.optionalWith(Schema.NullOr(TaskProgress), { default: () => null }),
  /** The latest attempt that failed, kept after a retry succeeds. */
  lastFailure: Schema.optionalWith(Schema.NullOr(AttemptFailureSummary), { default: () => null })
})
export type RunTask = typeof RunTask.Type

/** `GET /api/runs/:id`. */
export const PipelineRunDetail = Schema.Struct({
  ...PipelineRunSummary.fields,
  structureSnapshot: PipelineStructure,
  inputPath: Schema.String,
  metadata: Json,
  tasks: Schema.Array(RunTask)
})
export type PipelineRunDetail = typeof PipelineRunDetail.Type
