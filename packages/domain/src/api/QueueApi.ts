import { HttpApiEndpoint, HttpApiGroup } from "@effect/platform"
import { Schema } from "effect"
import { NotFound, ValidationError } from "../Errors.js"
import { TaskRunId } from "../Ids.js"
import {
  QueueBatchRequest,
  QueueBatchResponse,
  QueueItemsPage,
  QueueItemsParams,
  QueueStatus,
  QueueTaskRequest,
  QueueTaskResponse
} from "../Queue.js"
import { TaskRun } from "../TaskRun.js"
import { ManagementAuth } from "./Security.js"

/** Standalone task queue and task runs. */
export class QueueApi extends HttpApiGroup.make("queue")
  .add(
    HttpApiEndpoint.post("queueTask", "/queue/task")
      .setPayload(QueueTaskRequest)
      .addSuccess(QueueTaskResponse, { status: 201 })
      .addError(NotFound)
      .addError(ValidationError)
  )
  .add(
    HttpApiEndpoint.post("queueBatch", "/queue/batch")
      .setPayload(QueueBatchRequest)
      .addSuccess(QueueBatchResponse, { status: 201 })
      .addError(NotFound)
      .addError(ValidationError)
  )
  .add(HttpApiEndpoint.get("status", "/queue/status").addSuccess(QueueStatus))
  .add(HttpApiEndpoint.get("items", "/queue/items").setUrlParams(QueueItemsParams).addSuccess(QueueItemsPage))
  .add(
    HttpApiEndpoint.get("taskRun", "/task-runs/:id")
      .setPath(Schema.Struct({ id: TaskRunId }))
      .addSuccess(TaskRun)
      .addError(NotFound)
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
