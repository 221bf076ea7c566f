import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { NotFound, ValidationError } from "../Errors.js"
import { PipelineId, PipelineRunId } from "../Ids.js"
import {
  DryRunRequest,
  DryRunResult,
  PipelineInfo,
  PipelineRunDetail,
  RunsPage,
  RunsParams,
  TriggerRequest,
  TriggerResponse
} from "../Pipeline.js"
import { strictPayload } from "./StrictPayload.js"
import { ManagementAuth } from "./Security.js"

/** Pipelines: list, trigger, dry-run; pipeline runs. */
export class PipelinesApi extends HttpApiGroup.make("pipelines")
  .add(
    HttpApiEndpoint.get("list", "/pipelines").addSuccess(Schema.Array(PipelineInfo))
      .annotate(OpenApi.Summary, "List pipelines")
      .annotate(OpenApi.Description, "Every declared pipeline with its graph, current version, problems and last run.")
  )
  .add(
    HttpApiEndpoint.post("trigger", "/pipelines/:id/trigger")
      .setPath(Schema.Struct({ id: PipelineId }))
      .setPayload(strictPayload(TriggerRequest))
      .addSuccess(TriggerResponse, { status: 201 })
      .addError(NotFound)
      .addError(ValidationError)
      .annotate(OpenApi.Description, "Start a pipeline run with its structure as registered now")
      .annotate(OpenApi.Summary, "Trigger a pipeline")
  )
  .add(
    HttpApiEndpoint.post("dryRun", "/pipelines/:id/dry-run")
      .setPath(Schema.Struct({ id: PipelineId }))
      .setPayload(strictPayload(DryRunRequest))
      .addSuccess(DryRunResult)
      .addError(NotFound)
      .annotate(OpenApi.Description, "Validate a pipeline and print its execution plan; nothing runs or is stored")
      .annotate(OpenApi.Summary, "Dry-run a pipeline")
  )
  .add(
    HttpApiEndpoint.get("runs", "/runs").setUrlParams(RunsParams).addSuccess(RunsPage)
      .annotate(OpenApi.Summary, "List pipeline runs")
      .annotate(OpenApi.Description, "Pipeline runs, newest first, filtered by pipeline, status and time window; paginated.")
  )
  .add(
    HttpApiEndpoint.get("run", "/runs/:id")
      .setPath(Schema.Struct({ id: PipelineRunId }))
      .addSuccess(PipelineRunDetail)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Get a pipeline run")
      .annotate(OpenApi.Description, "One pipeline run with its structure snapshot and every task run in it.")
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
