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
import { ManagementAuth } from "./Security.js"

/** Pipelines: list, trigger, dry-run; pipeline runs. */
export class PipelinesApi extends HttpApiGroup.make("pipelines")
  .add(HttpApiEndpoint.get("list", "/pipelines").addSuccess(Schema.Array(PipelineInfo)))
  .add(
    HttpApiEndpoint.post("trigger", "/pipelines/:id/trigger")
      .setPath(Schema.Struct({ id: PipelineId }))
      .setPayload(TriggerRequest)
      .addSuccess(TriggerResponse, { status: 201 })
      .addError(NotFound)
      .addError(ValidationError)
      .annotate(OpenApi.Description, "Start a pipeline run with its structure as registered now")
  )
  .add(
    HttpApiEndpoint.post("dryRun", "/pipelines/:id/dry-run")
      .setPath(Schema.Struct({ id: PipelineId }))
      .setPayload(DryRunRequest)
      .addSuccess(DryRunResult)
      .addError(NotFound)
      .annotate(OpenApi.Description, "Validate a pipeline and print its execution plan; nothing runs or is stored")
  )
  .add(HttpApiEndpoint.get("runs", "/runs").setUrlParams(RunsParams).addSuccess(RunsPage))
  .add(
    HttpApiEndpoint.get("run", "/runs/:id")
      .setPath(Schema.Struct({ id: PipelineRunId }))
      .addSuccess(PipelineRunDetail)
      .addError(NotFound)
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
