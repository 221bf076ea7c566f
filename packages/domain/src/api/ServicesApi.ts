import { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
import { Schema } from "effect"
import { NotFound } from "../Errors.js"
import { ServiceId, TaskId } from "../Ids.js"
import { CodeHistoryEntry, ServiceInfo, TaskInfo } from "../Service.js"
import { ManagementAuth } from "./Security.js"

/** Registered services, their task types and code history. */
export class ServicesApi extends HttpApiGroup.make("services")
  .add(HttpApiEndpoint.get("list", "/services").addSuccess(Schema.Array(ServiceInfo)))
  .add(
    HttpApiEndpoint.get("tasks", "/services/:id/tasks")
      .setPath(Schema.Struct({ id: ServiceId }))
      .addSuccess(Schema.Array(TaskInfo))
      .addError(NotFound)
  )
  .add(
    HttpApiEndpoint.get("history", "/tasks/:id/history")
      .setPath(Schema.Struct({ id: TaskId }))
      .addSuccess(Schema.Array(CodeHistoryEntry))
      .addError(NotFound)
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
