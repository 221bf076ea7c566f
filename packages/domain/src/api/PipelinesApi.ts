import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Conflict, NotFound, ValidationError } from "../Errors.js"
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
  .add(
    HttpApiEndpoint.post("cancelRun", "/runs/:id/cancel")
      .setPath(Schema.Struct({ id: PipelineRunId }))
      .addSuccess(PipelineRunDetail)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Summary, "Cancel a pipeline run")
      .annotate(
        OpenApi.Description,
        "Cancels a running pipeline run (no request body): every task not yet ended is cancelled (running ones are told at their next heartbeat, which interrupts their handlers) and the run ends `cancelled`. Cancelling a cancelled run answers its state again; a run that already ended otherwise answers 409."
      )
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
