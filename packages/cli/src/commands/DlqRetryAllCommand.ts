import { Command } from "@effect/cli"
import { DlqRetryAllRequest, DlqRetryAllResult } from "@pipeweave/domain/DeadLetter"
import { Effect, Option } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { pipelineOption, taskOption } from "../Arguments.js"
import { CliFailure } from "../CliFailure.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present, table } from "../Output.js"

const render = (result: typeof DlqRetryAllResult.Type, scope: string): string =>
  result.retried === 0
    ? `Nothing to retry: no dead letters of ${scope} wait for a retry.`
    : `retried ${result.retried} dead letter(s) of ${scope}\n` +
      table(["DLQ", "NEW RUN"], result.results.map((r) => [r.id, r.newRunId]))

/** `pipeweave dlq retry-all --pipeline <id> | --task <id>`: retries every entry of a pipeline or task not yet retried. */
export const DlqRetryAllCommand = Command.make(
  "retry-all",
  { ...apiOptions, pipeline: pipelineOption, task: taskOption },
  (options) =>
    Effect.gen(function*() {
      if (Option.isNone(options.pipeline) && Option.isNone(options.task)) {
        return yield* CliFailure.usage("dlq retry-all needs --pipeline <id> or --task <id>")
      }
      const scope = [
        ...Option.toArray(Option.map(options.pipeline, (id) => `pipeline ${id}`)),
        ...Option.toArray(Option.map(options.task, (id) => `task ${id}`))
      ].join(", ")
      const request = new DlqRetryAllRequest({
        ...Option.match(options.pipeline, { onNone: () => ({}), onSome: (pipelineId) => ({ pipelineId }) }),
        ...Option.match(options.task, { onNone: () => ({}), onSome: (taskId) => ({ taskId }) })
      })
      const result = yield* callOrchestrator(options, (client) => client.dlq.retryAll({ payload: request }))
      yield* present(options.json, DlqRetryAllResult, result, (value) => render(value, scope))
    })
).pipe(Command.withDescription(
  "Retry every dead letter not yet retried of a pipeline (--pipeline) or task type (--task) (POST /api/dlq/retry-all)"
))
