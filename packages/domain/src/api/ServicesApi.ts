import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { NotFound } from "../Errors.js"
import { ServiceId, TaskId } from "../Ids.js"
import { CodeHistoryEntry, ServiceInfo, TaskInfo } from "../Service.js"
import { ManagementAuth } from "./Security.js"

/** Registered services, their task types and code history. */
export class ServicesApi extends HttpApiGroup.make("services")
  .add(
    HttpApiEndpoint.get("list", "/services").addSuccess(Schema.Array(ServiceInfo))
      .annotate(OpenApi.Summary, "List services")
      .annotate(OpenApi.Description, "Every registered service with its version, base URL, live instances and task types.")
  )
  .add(
    HttpApiEndpoint.get("tasks", "/services/:id/tasks")
      .setPath(Schema.Struct({ id: ServiceId }))
      .addSuccess(Schema.Array(TaskInfo))
      .addError(NotFound)
      .annotate(OpenApi.Summary, "List a service's task types")
      .annotate(OpenApi.Description, "The task types a service registered, with their options and current code version.")
  )
  .add(
    HttpApiEndpoint.get("history", "/tasks/:id/history")
      .setPath(Schema.Struct({ id: TaskId }))
      .addSuccess(Schema.Array(CodeHistoryEntry))
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Code history of a task")
      .annotate(OpenApi.Description, "Every code version a task type had: hash, version number, service version, when it was recorded, and takeovers.")
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
