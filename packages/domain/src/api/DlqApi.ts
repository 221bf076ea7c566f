import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
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
import { ManagementAuth } from "./Security.js"

/** The dead letter queue: inspect, retry (one or all of a pipeline), purge. */
export class DlqApi extends HttpApiGroup.make("dlq")
  .add(HttpApiEndpoint.get("list", "/dlq").setUrlParams(DlqParams).addSuccess(DlqPage))
  .add(
    HttpApiEndpoint.get("show", "/dlq/:id")
      .setPath(Schema.Struct({ id: DlqId }))
      .addSuccess(DlqDetail)
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.post("retry", "/dlq/:id/retry")
      .setPath(Schema.Struct({ id: DlqId }))
      .addSuccess(DlqRetryResult)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Description, "Run the failed task again with the current code version")
  )
  .add(
    HttpApiEndpoint.post("retryAll", "/dlq/retry-all")
      .setPayload(DlqRetryAllRequest)
      .addSuccess(DlqRetryAllResult)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.post("purge", "/dlq/purge").setPayload(DlqPurgeRequest).addSuccess(DlqPurgeResult))
  .middleware(ManagementAuth)
  .prefix("/api") {}
