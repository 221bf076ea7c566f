import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import {
  DlqDetail,
  DlqPage,
  DlqParams,
  DlqPurgeRequest,
  DlqPurgeResult,
  DlqRetryAllRequest,
  DlqRetryAllResult,
  DlqRetryResult
} from "../DeadLetter.js"
import { Conflict, NotFound, ValidationError } from "../Errors.js"
import { DlqId } from "../Ids.js"
import { strictPayload } from "./StrictPayload.js"
import { ManagementAuth } from "./Security.js"

/** The dead letter queue: inspect, retry (one or all of a pipeline), purge. */
export class DlqApi extends HttpApiGroup.make("dlq")
  .add(
    HttpApiEndpoint.get("list", "/dlq").setUrlParams(DlqParams).addSuccess(DlqPage)
      .annotate(OpenApi.Summary, "List dead letters")
      .annotate(OpenApi.Description, "Task runs that exhausted their retries or failed with a non-retryable error, newest first, filtered by task, pipeline or pipeline run; paginated.")
  )
  .add(
    HttpApiEndpoint.get("show", "/dlq/:id")
      .setPath(Schema.Struct({ id: DlqId }))
      .addSuccess(DlqDetail)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Get a dead letter")
      .annotate(OpenApi.Description, "One dead-letter entry with the failed run's input, the error of every attempt and its pipeline run.")
  )
  .add(
    HttpApiEndpoint.post("retry", "/dlq/:id/retry")
      .setPath(Schema.Struct({ id: DlqId }))
      .addSuccess(DlqRetryResult)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Description, "Run the failed task again with the current code version")
      .annotate(OpenApi.Summary, "Retry a dead letter")
  )
  .add(
    HttpApiEndpoint.post("retryAll", "/dlq/retry-all")
      .setPayload(strictPayload(DlqRetryAllRequest))
      .addSuccess(DlqRetryAllResult)
      .addError(ValidationError)
      .annotate(OpenApi.Summary, "Retry dead letters in bulk")
      .annotate(OpenApi.Description, "Runs again every dead-letter entry not yet retried of a pipeline or a task type, with the current code version.")
  )
  .add(
    HttpApiEndpoint.post("purge", "/dlq/purge").setPayload(strictPayload(DlqPurgeRequest)).addSuccess(DlqPurgeResult)
      .annotate(OpenApi.Summary, "Purge dead letters")
      .annotate(OpenApi.Description, "Deletes dead-letter entries older than the given age (e.g. 7d).")
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
