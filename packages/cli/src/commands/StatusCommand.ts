import { Args, Command, Options } from "@effect/cli"
import type { HttpClient } from "@effect/platform"
import { PipelineRunId, TaskRunId } from "@pipeweave/domain/Ids"
import { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import { TaskRun } from "@pipeweave/domain/TaskRun"
import { Effect, type Option, Schema } from "effect"
import { type ApiOptions, apiOptions } from "../ApiOptions.js"
import { pollIntervalOption, timeoutOption } from "../Arguments.js"
import { CliFailure } from "../CliFailure.js"
import { liveRunOfPipelineRun, liveRunOfTaskRun } from "../LiveView.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"
import { renderPipelineRun } from "../PipelineRunView.js"
import { pipelineRunOutcome } from "../PipelineRunWait.js"
import { followRun } from "../RunFollow.js"
import { failureLine, isTerminal, renderTaskRun } from "../TaskRunView.js"

interface StatusOptions extends ApiOptions {
  readonly watch: boolean
  readonly timeout: Option.Option<number>
  readonly pollInterval: number
}

type Show = (options: StatusOptions, id: string) => Effect.Effect<void, CliFailure, HttpClient.HttpClient>

const followSettings = (options: StatusOptions) => ({
  intervalMs: options.pollInterval,
  timeoutMs: options.timeout,
  quiet: options.json,
  url: options.url
})

const showTaskRun: Show = (options, id) =>
  Schema.is(TaskRunId)(id)
    ? callOrchestrator(options, (client) => {
      const fetch = client.queue.taskRun({ path: { id } })
      if (!options.watch) return Effect.flatMap(fetch, (run) => present(options.json, TaskRun, run, renderTaskRun))
      return followRun(id, fetch, liveRunOfTaskRun, (run) => isTerminal(run.status), followSettings(options)).pipe(
        Effect.tap((run) => present(options.json, TaskRun, run, renderTaskRun)),
        Effect.flatMap((run) => run.status === "completed" ? Effect.void : Effect.fail(CliFailure.exit(1, failureLine(run))))
      )
    })
    : Effect.fail(CliFailure.usage(`"${id}" is not a task run id (trun_ followed by letters and digits)`))

const showPipelineRun: Show = (options, id) =>
  Schema.is(PipelineRunId)(id)
    ? callOrchestrator(options, (client) => {
      const fetch = client.pipelines.run({ path: { id } })
      if (!options.watch) return Effect.flatMap(fetch, (run) => present(options.json, PipelineRunDetail, run, renderPipelineRun))
      return followRun(id, fetch, liveRunOfPipelineRun, (run) => run.status !== "running", followSettings(options)).pipe(
        Effect.tap((run) => present(options.json, PipelineRunDetail, run, renderPipelineRun)),
        Effect.flatMap(pipelineRunOutcome)
      )
    })
    : Effect.fail(CliFailure.usage(`"${id}" is not a pipeline run id (prun_ followed by letters and digits)`))

const showByPrefix: Record<string, Show> = {
  trun: showTaskRun,
  prun: showPipelineRun
}

/** `pipeweave status <id> [--watch]`: a task run (`trun_…`) or a pipeline run (`prun_…`). */
export const StatusCommand = Command.make(
  "status",
  {
    ...apiOptions,
    id: Args.text({ name: "id" }).pipe(Args.withDescription("A trun_… or prun_… id")),
    watch: Options.boolean("watch").pipe(
      Options.withDescription(
        "Follow the run live until it ends (each task's state, attempt, progress and last failure on stderr), then " +
          "print it; exit 0 completed, 1 failed or cancelled, 3 partial, 124 --timeout, 130 Ctrl+C"
      )
    ),
    timeout: timeoutOption,
    pollInterval: pollIntervalOption
  },
  (options) => {
    const show = showByPrefix[options.id.split("_")[0]!]
    return show === undefined
      ? Effect.fail(CliFailure.usage(`"${options.id}" is neither a task run id (trun_…) nor a pipeline run id (prun_…)`))
      : show(options, options.id)
  }
).pipe(Command.withDescription(
  "Show a task run (GET /api/task-runs/:id: status, attempts with errors, timings, output path, progress) " +
    "or a pipeline run (GET /api/runs/:id: status and its tasks); --watch follows it until it ends"
))
