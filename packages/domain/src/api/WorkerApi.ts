import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"
import { CallbackPayload, CallbackResult, HeartbeatRequest, HeartbeatResult, ProgressRequest } from "../Callback.js"
import { Conflict, NotFound, ValidationError } from "../Errors.js"
import { TaskRunId } from "../Ids.js"
import { IdempotencyDecision, IdempotencyRequest } from "../Idempotency.js"
import { OwnedByAnotherService, RegisterRequest, RegisterResponse } from "../Registration.js"
import { WorkerAuth } from "./Security.js"

/** Endpoints workers call: registration, heartbeats, progress and the completion callback. */
export class WorkerApi extends HttpApiGroup.make("worker")
  .add(
    HttpApiEndpoint.post("register", "/register")
      .setPayload(RegisterRequest)
      .addSuccess(RegisterResponse)
      .addError(ValidationError)
      .addError(OwnedByAnotherService)
      .annotate(OpenApi.Description, "Register or update a service and its task types (with code hashes)")
  )
  .add(
    HttpApiEndpoint.post("heartbeat", "/heartbeat")
      .setPayload(HeartbeatRequest)
      .addSuccess(HeartbeatResult)
      .addError(NotFound)
      .addError(Conflict)
  )
  .add(
    HttpApiEndpoint.post("progress", "/progress")
      .setPayload(ProgressRequest)
      .addSuccess(HeartbeatResult)
      .addError(NotFound)
      .addError(Conflict)
  )
  .add(
    HttpApiEndpoint.post("idempotency", "/idempotency")
      .setPayload(IdempotencyRequest)
      .addSuccess(IdempotencyDecision)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Description, "Claim an idempotency key for an attempt, or get the cached result")
  )
  .add(
    HttpApiEndpoint.post("callback", "/callback/:runId")
      .setPath(Schema.Struct({ runId: TaskRunId }))
      .setPayload(CallbackPayload)
      .addSuccess(CallbackResult)
      .addError(NotFound)
      .addError(Conflict)
      .addError(ValidationError)
      .annotate(OpenApi.Description, "Task completion callback (metadata only); a duplicate or stale one gets 409")
  )
  .middleware(WorkerAuth)
  .prefix("/api") {}
