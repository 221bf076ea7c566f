import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { Conflict, NotFound, ValidationError } from "../Errors.js"
import { TaskRunId } from "../Ids.js"
import {
  QueueBatchRequest,
  QueueBatchResponse,
  QueueItemsPage,
  QueueItemsParams,
  QueueStatus,
  Throughput,
  QueueTaskRequest,
  QueueTaskResponse
} from "../Queue.js"
import { TaskRun } from "../TaskRun.js"
import { strictPayload } from "./StrictPayload.js"
import { ManagementAuth } from "./Security.js"

/** Standalone task queue and task runs. */
export class QueueApi extends HttpApiGroup.make("queue")
  .add(
    HttpApiEndpoint.post("queueTask", "/queue/task")
      .setPayload(strictPayload(QueueTaskRequest))
      .addSuccess(QueueTaskResponse, { status: 201 })
      .addError(NotFound)
      .addError(ValidationError)
      .annotate(OpenApi.Summary, "Queue a task")
      .annotate(OpenApi.Description, "Queues one standalone task run; its input is stored and the run is dispatched when due.")
  )
  .add(
    HttpApiEndpoint.post("queueBatch", "/queue/batch")
      .setPayload(strictPayload(QueueBatchRequest))
      .addSuccess(QueueBatchResponse, { status: 201 })
      .addError(NotFound)
      .addError(ValidationError)
      .annotate(OpenApi.Summary, "Queue tasks in a batch")
      .annotate(OpenApi.Description, "Queues up to 1000 standalone task runs at once: all of them, or none.")
  )
  .add(
    HttpApiEndpoint.get("status", "/queue/status").addSuccess(QueueStatus)
      .annotate(OpenApi.Summary, "Queue counts")
      .annotate(OpenApi.Description, "How many task runs are pending, running, waiting, completed, failed and dead-lettered, and the oldest pending one.")
  )
  .add(
    HttpApiEndpoint.get("throughput", "/queue/throughput").addSuccess(Throughput)
      .annotate(OpenApi.Summary, "Throughput over the last hour")
      .annotate(OpenApi.Description, "Task runs completed and failed in the last hour, in one-minute buckets, oldest first.")
  )
  .add(
    HttpApiEndpoint.get("items", "/queue/items").setUrlParams(QueueItemsParams).addSuccess(QueueItemsPage)
      .annotate(OpenApi.Summary, "List task runs")
      .annotate(OpenApi.Description, "Task runs, newest first, filtered by status, task or pipeline run; paginated.")
  )
  .add(
    HttpApiEndpoint.get("taskRun", "/task-runs/:id")
      .setPath(Schema.Struct({ id: TaskRunId }))
      .addSuccess(TaskRun)
      .addError(NotFound)
      .annotate(OpenApi.Summary, "Get a task run")
      .annotate(OpenApi.Description, "One task run with its status, attempts, input and output paths and error.")
  )
  .add(
    HttpApiEndpoint.post("cancelTaskRun", "/task-runs/:id/cancel")
      .setPath(Schema.Struct({ id: TaskRunId }))
      .addSuccess(TaskRun)
      .addError(NotFound)
      .addError(Conflict)
      .annotate(OpenApi.Summary, "Cancel a task run")
      .annotate(
        OpenApi.Description,
        "Cancels a task run (no request body). A pending or waiting run is cancelled at once; a running one is cancelled too and its worker is told at its next heartbeat, which interrupts the handler; its callback is then refused. A task of a pipeline run counts as failed for the pipeline's routing. Cancelling a cancelled run answers its state again; a completed, failed or skipped run answers 409."
      )
  )
  .middleware(ManagementAuth)
  .prefix("/api") {}
