import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { CallbackPayload, CallbackResult, HeartbeatRequest, HeartbeatResult, ProgressRequest } from "../Callback.js"
import { Conflict, NotFound, ValidationError } from "../Errors.js"
import { TaskRunId } from "../Ids.js"
import { IdempotencyDecision, IdempotencyRequest } from "../Idempotency.js"
import { DeregisterRequest, DeregisterResponse, OwnedByAnotherService, RegisterRequest, RegisterResponse } from "../Registration.js"
import { strictPayload } from "./StrictPayload.js"
import { WorkerAuth } from "./Security.js"

/** Endpoints workers call: registration, heartbeats, progress and the completion callback. */
export class WorkerApi extends HttpApiGroup.make("worker")
  .add(
    HttpApiEndpoint.post("register", "/register")
      .setPayload(strictPayload(RegisterRequest))
      .addSuccess(RegisterResponse)
      .addError(ValidationError)
      .addError(OwnedByAnotherService)
      .annotate(OpenApi.Summary, "Register a service")
      .annotate(OpenApi.Description, "Registers or updates a service, its task types (with code hashes) and pipelines; answers the code version assigned to each task. Called by the SDK at startup with a service credential.")
      .annotate(OpenApi.Description, "Register or update a service and its task types (with code hashes)")
  )
  .add(
    HttpApiEndpoint.post("deregister", "/deregister")
      .setPayload(strictPayload(DeregisterRequest))
      .addSuccess(DeregisterResponse)
      .addError(ValidationError)
      .annotate(OpenApi.Summary, "Deregister an instance")
      .annotate(OpenApi.Description, "Marks the instance of a service at `baseUrl` as leaving, so nothing more is dispatched to it while another instance answers; runs wait (no attempt spent) while none does. Called by the SDK when it shuts down, with a service credential. Registering again brings the instance back.")
  )
  .add(
    HttpApiEndpoint.post("heartbeat", "/heartbeat")
      .setPayload(strictPayload(HeartbeatRequest))
      .addSuccess(HeartbeatResult)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Summary, "Heartbeat of a running attempt")
      .annotate(OpenApi.Description, "Keeps a running attempt alive; `cancelled: true` in the answer tells the worker to stop the handler. A stale attempt gets 409.")
  )
  .add(
    HttpApiEndpoint.post("progress", "/progress")
      .setPayload(strictPayload(ProgressRequest))
      .addSuccess(HeartbeatResult)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Summary, "Report progress")
      .annotate(OpenApi.Description, "Records a running attempt's progress (percent and message); counts as a heartbeat.")
  )
  .add(
    HttpApiEndpoint.post("idempotency", "/idempotency")
      .setPayload(strictPayload(IdempotencyRequest))
      .addSuccess(IdempotencyDecision)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Summary, "Claim an idempotency key")
      .annotate(OpenApi.Description, "Claims the idempotency key an attempt computed: execute the handler, stop because the run completed with a cached output, or ask again later.")
      .annotate(OpenApi.Description, "Claim an idempotency key for an attempt, or get the cached result")
  )
  .add(
    HttpApiEndpoint.post("callback", "/callback/:runId")
      .setPath(Schema.Struct({ runId: TaskRunId }))
      .setPayload(strictPayload(CallbackPayload))
      .addSuccess(CallbackResult)
      .addError(NotFound)
      .addError(Conflict)
      .addError(ValidationError)
      .annotate(OpenApi.Summary, "Complete an attempt")
      .annotate(OpenApi.Description, "The task completion callback (metadata only: output and asset paths, or the error); a duplicate or stale one gets 409.")
      .annotate(OpenApi.Description, "Task completion callback (metadata only); a duplicate or stale one gets 409")
  )
  .middleware(WorkerAuth)
  .prefix("/api") {}
