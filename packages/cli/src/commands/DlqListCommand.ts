import { Command, Options } from "@effect/cli"
import { DlqPage } from "@pipeweave/domain/DeadLetter"
import { Effect, Option } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { pageOptions, pipelineOption, taskOption } from "../Arguments.js"
import { renderDlqPage } from "../DlqView.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"

/** `pipeweave dlq list [--pipeline id] [--task id] [--all]`: dead letters, newest first. */
export const DlqListCommand = Command.make(
  "list",
  {
    ...apiOptions,
    pipeline: pipelineOption,
    task: taskOption,
    all: Options.boolean("all").pipe(Options.withDescription("Also list entries already retried, with the run they became")),
    ...pageOptions
  },
  (options) =>
    callOrchestrator(options, (client) =>
      Effect.flatMap(
        client.dlq.list({
          urlParams: {
            includeRetried: options.all,
            limit: options.limit,
            offset: options.offset,
            ...Option.match(options.pipeline, { onNone: () => ({}), onSome: (pipelineId) => ({ pipelineId }) }),
            ...Option.match(options.task, { onNone: () => ({}), onSome: (taskId) => ({ taskId }) })
          }
        }),
        (page) => present(options.json, DlqPage, page, (value) => renderDlqPage(value, options.all))
      ))
).pipe(Command.withDescription("List dead-lettered task runs not yet retried, newest first (GET /api/dlq)"))
