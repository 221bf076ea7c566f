import { Args, Command } from "@effect/cli"
import { TaskRunId } from "@pipeweave/domain/Ids"
import { TaskRun } from "@pipeweave/domain/TaskRun"
import type { HttpClient } from "@effect/platform"
import { Effect, Schema } from "effect"
import { type ApiOptions, apiOptions } from "../ApiOptions.js"
import { CliFailure } from "../CliFailure.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"
import { renderTaskRun } from "../TaskRunView.js"

type Show = (options: ApiOptions, id: string) => Effect.Effect<void, CliFailure, HttpClient.HttpClient>

const showTaskRun: Show = (options, id) =>
  Schema.is(TaskRunId)(id)
    ? callOrchestrator(options, (client) =>
      Effect.flatMap(client.queue.taskRun({ path: { id } }), (run) => present(options.json, TaskRun, run, renderTaskRun)))
    : Effect.fail(CliFailure.usage(`"${id}" is not a task run id (trun_ followed by letters and digits)`))

const pipelineRunsUnavailable: Show = () =>
  Effect.fail(CliFailure.usage("pipeline runs (prun_…) are not available from this orchestrator yet: its API has no GET /api/runs/:id"))

const showByPrefix: Record<string, Show> = {
  trun: showTaskRun,
  prun: pipelineRunsUnavailable
}

/** `pipeweave status <id>`: a task run (`trun_…`) or, once the API has them, a pipeline run (`prun_…`). */
export const StatusCommand = Command.make(
  "status",
  { ...apiOptions, id: Args.text({ name: "id" }).pipe(Args.withDescription("A trun_… or prun_… id")) },
  (options) => {
    const show = showByPrefix[options.id.split("_")[0]!]
    return show === undefined
      ? Effect.fail(CliFailure.usage(`"${options.id}" is neither a task run id (trun_…) nor a pipeline run id (prun_…)`))
      : show(options, options.id)
  }
).pipe(Command.withDescription("Show a run: status, attempts with errors, timings, output path, progress (GET /api/task-runs/:id)"))
