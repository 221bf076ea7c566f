import { Command } from "@effect/cli"
import { QueueStatus } from "@pipeweave/domain/Queue"
import { Effect } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { fields, present, time } from "../Output.js"

const render = (status: QueueStatus): string =>
  fields([
    ["pending", String(status.pending)],
    ["running", String(status.running)],
    ["waiting", String(status.waiting)],
    ["completed", String(status.completed)],
    ["failed", String(status.failed)],
    ["dlq", String(status.dlq)],
    ["oldest pending", time(status.oldestPending)]
  ])

/** `pipeweave queue-status`: counts of task runs per state. */
export const QueueStatusCommand = Command.make(
  "queue-status",
  apiOptions,
  (options) =>
    callOrchestrator(options, (client) =>
      Effect.flatMap(client.queue.status(), (status) => present(options.json, QueueStatus, status, render)))
).pipe(Command.withDescription("Show queue statistics (GET /api/queue/status)"))
