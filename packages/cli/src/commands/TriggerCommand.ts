import { Command, Options } from "@effect/cli"
import { PipelineRunDetail, TriggerRequest, TriggerResponse } from "@pipeweave/domain/Pipeline"
import { FailureMode } from "@pipeweave/domain/pipeline/Routing"
import { Console, Effect, Option } from "effect"
import { apiOptions } from "../ApiOptions.js"
import { inputOption, parseInput, pipelineArg, pollIntervalOption, priorityOption, timeoutOption } from "../Arguments.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present, printJson } from "../Output.js"
import { renderPipelineRun } from "../PipelineRunView.js"
import { liveRunOfPipelineRun } from "../LiveView.js"
import { pipelineRunOutcome } from "../PipelineRunWait.js"
import { followRun } from "../RunFollow.js"

/** `pipeweave trigger <pipeline> -i '<json>' [--failure-mode m] [--priority n] [--wait]`: starts a pipeline run. */
export const TriggerCommand = Command.make(
  "trigger",
  {
    ...apiOptions,
    pipeline: pipelineArg,
    input: inputOption.pipe(Options.withDefault("{}"), Options.withDescription("Pipeline input as JSON (default {})")),
    failureMode: Options.choice("failure-mode", FailureMode.literals).pipe(
      Options.withDefault("fail-fast" as const),
      Options.withDescription(
        "When a task fails for good: fail-fast stops the run; continue runs the branches it does not block; " +
          "partial-merge also lets joins run with the results they have (run ends partial)"
      )
    ),
    priority: priorityOption.pipe(Options.withDescription("Lower runs first (default: each task's priority)")),
    wait: Options.boolean("wait").pipe(
      Options.withDescription(
        "Follow the run until it ends (live view of each task's state, attempt, progress and last failure on stderr), " +
          "then print its tasks; exit 0 completed, 1 failed or cancelled, 3 partial, 124 --timeout, 130 Ctrl+C"
      )
    ),
    timeout: timeoutOption,
    pollInterval: pollIntervalOption
  },
  (options) =>
    Effect.gen(function*() {
      const input = yield* parseInput(options.input)
      const request = new TriggerRequest({
        input,
        failureMode: options.failureMode,
        ...Option.match(options.priority, { onNone: () => ({}), onSome: (priority) => ({ priority }) })
      })
      const started = yield* callOrchestrator(options, (client) =>
        client.pipelines.trigger({ path: { id: options.pipeline }, payload: request }))
      const summary = `started ${started.pipelineRunId} (pipeline ${options.pipeline}, version ${started.pipelineVersion}, ` +
        `input ${started.inputPath})`
      if (!options.wait) return yield* present(options.json, TriggerResponse, started, () => summary)
      if (!options.json) yield* Console.error(`${summary}; waiting for it to finish (Ctrl-C stops waiting, not the run)`)
      const run = yield* callOrchestrator(options, (client) =>
        followRun(
          started.pipelineRunId,
          client.pipelines.run({ path: { id: started.pipelineRunId } }),
          liveRunOfPipelineRun,
          (run) => run.status !== "running",
          { intervalMs: options.pollInterval, timeoutMs: options.timeout, quiet: options.json, url: options.url }
        ))
      yield* options.json ? printJson(PipelineRunDetail, run) : Console.log(renderPipelineRun(run))
      yield* pipelineRunOutcome(run)
    })
).pipe(Command.withDescription(
  "Start a pipeline run (POST /api/pipelines/:id/trigger) and print its id, version and input path. " +
    "With --wait, follow it live until it ends and print each task's status, duration and code version; " +
    "exit codes: 0 completed, 1 failed or cancelled (or any error), 2 usage error, 3 partial, " +
    "124 --timeout ran out, 130 interrupted (the run continues either way)"
))
