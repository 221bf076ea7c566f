import { Args, Command } from "@effect/cli"
import { PipelineRunId, TaskRunId } from "@pipeweave/domain/Ids"
import { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import { TaskRun } from "@pipeweave/domain/TaskRun"
import type { HttpClient } from "@effect/platform"
import { Effect, Schema } from "effect"
import { type ApiOptions, apiOptions } from "../ApiOptions.js"
import { CliFailure } from "../CliFailure.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"
import { renderPipelineRun } from "../PipelineRunView.js"
import { renderTaskRun } from "../TaskRunView.js"

type Show = (options: ApiOptions, id: string) => Effect.Effect<void, CliFailure, HttpClient.HttpClient>

const showTaskRun: Show = (options, id) =>
  Schema.is(TaskRunId)(id)
    ? callOrchestrator(options, (client) =>
      Effect.flatMap(client.queue.taskRun({ path: { id } }), (run) => present(options.json, TaskRun, run, renderTaskRun)))
    : Effect.fail(CliFailure.usage(`"${id}" is not a task run id (trun_ followed by letters and digits)`))

const showPipelineRun: Show = (options, id) =>
  Schema.is(PipelineRunId)(id)
    ? callOrchestrator(options, (client) =>
      Effect.flatMap(
        client.pipelines.run({ path: { id } }),
        (run) => present(options.json, PipelineRunDetail, run, renderPipelineRun)
      ))
    : Effect.fail(CliFailure.usage(`"${id}" is not a pipeline run id (prun_ followed by letters and digits)`))

const showByPrefix: Record<string, Show> = {
  trun: showTaskRun,
  prun: showPipelineRun
}

/** `pipeweave status <id>`: a task run (`trun_…`) or a pipeline run (`prun_…`). */
export const StatusCommand = Command.make(
  "status",
  { ...apiOptions, id: Args.text({ name: "id" }).pipe(Args.withDescription("A trun_… or prun_… id")) },
  (options) => {
    const show = showByPrefix[options.id.split("_")[0]!]
    return show === undefined
      ? Effect.fail(CliFailure.usage(`"${options.id}" is neither a task run id (trun_…) nor a pipeline run id (prun_…)`))
      : show(options, options.id)
  }
).pipe(Command.withDescription(
  "Show a task run (GET /api/task-runs/:id: status, attempts with errors, timings, output path, progress) " +
    "or a pipeline run (GET /api/runs/:id: status and its tasks)"
))
