import { Command, Options } from "@effect/cli"
import { QueueItemsPage } from "@pipeweave/domain/Queue"
import { TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { Effect, Option } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { pageOptions, taskOption } from "../Arguments.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { pageFooter, present, table, time } from "../Output.js"

const render = (page: typeof QueueItemsPage.Type): string => {
  if (page.items.length === 0) return page.total === 0 ? "No task runs match." : `No task runs at offset ${page.offset} (total ${page.total}).`
  const rows = page.items.map((item) => [
    item.runId,
    item.taskId,
    item.status,
    String(item.priority),
    String(item.attempt),
    time(item.createdAt),
    item.error ?? ""
  ])
  return `${table(["RUN", "TASK", "STATUS", "PRIORITY", "ATTEMPT", "CREATED", "ERROR"], rows)}\n${pageFooter(page, rows.length)}`
}

/** `pipeweave items`: task runs, newest first, filtered by status and task. */
export const ItemsCommand = Command.make(
  "items",
  {
    ...apiOptions,
    status: Options.choice("status", TaskRunStatus.literals).pipe(
      Options.optional,
      Options.withDescription("Only runs in this state")
    ),
    task: taskOption,
    ...pageOptions
  },
  (options) =>
    callOrchestrator(options, (client) =>
      Effect.flatMap(
        client.queue.items({
          urlParams: {
            limit: options.limit,
            offset: options.offset,
            ...Option.match(options.status, { onNone: () => ({}), onSome: (status) => ({ status }) }),
            ...Option.match(options.task, { onNone: () => ({}), onSome: (taskId) => ({ taskId }) })
          }
        }),
        (page) => present(options.json, QueueItemsPage, page, render)
      ))
).pipe(Command.withDescription("List task runs, newest first (GET /api/queue/items)"))
