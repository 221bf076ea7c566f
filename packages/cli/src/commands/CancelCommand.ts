import { Args, Command } from "@effect/cli"
import type { HttpClient } from "@effect/platform"
import { PipelineRunId, TaskRunId } from "@pipeweave/domain/Ids"
import { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import { TaskRun } from "@pipeweave/domain/TaskRun"
import { Effect, Schema } from "effect"
import { type ApiOptions, apiOptions } from "../ApiOptions.js"
import { CliFailure } from "../CliFailure.js"
import { callOrchestrator } from "../OrchestratorClient.js"
import { present } from "../Output.js"

type Cancel = (options: ApiOptions, id: string) => Effect.Effect<void, CliFailure, HttpClient.HttpClient>

const cancelTaskRun: Cancel = (options, id) =>
  Schema.is(TaskRunId)(id)
    ? callOrchestrator(options, (client) =>
      Effect.flatMap(
        client.queue.cancelTaskRun({ path: { id } }),
        (run) => present(options.json, TaskRun, run, (r) => `task run ${r.runId} (${r.taskId}): ${r.status}`)
      ))
    : Effect.fail(CliFailure.usage(`"${id}" is not a task run id (trun_ followed by letters and digits)`))

const cancelPipelineRun: Cancel = (options, id) =>
  Schema.is(PipelineRunId)(id)
    ? callOrchestrator(options, (client) =>
      Effect.flatMap(
        client.pipelines.cancelRun({ path: { id } }),
        (run) =>
          present(options.json, PipelineRunDetail, run, (r) => {
            const cancelled = r.tasks.filter((t) => t.status === "cancelled").length
            return `pipeline run ${r.runId} (${r.pipelineId}): ${r.status}, ${cancelled} task run(s) cancelled`
          })
      ))
    : Effect.fail(CliFailure.usage(`"${id}" is not a pipeline run id (prun_ followed by letters and digits)`))

const cancelByPrefix: Record<string, Cancel> = {
  trun: cancelTaskRun,
  prun: cancelPipelineRun
}

/** `pipeweave cancel <id>`: cancels a task run (`trun_…`) or a pipeline run (`prun_…`). */
export const CancelCommand = Command.make(
  "cancel",
  { ...apiOptions, id: Args.text({ name: "id" }).pipe(Args.withDescription("A trun_… or prun_… id")) },
  (options) => {
    const cancel = cancelByPrefix[options.id.split("_")[0]!]
    return cancel === undefined
      ? Effect.fail(CliFailure.usage(`"${options.id}" is neither a task run id (trun_…) nor a pipeline run id (prun_…)`))
      : cancel(options, options.id)
  }
).pipe(Command.withDescription(
  "Cancel a task run (POST /api/task-runs/:id/cancel) or a pipeline run with its unfinished tasks " +
    "(POST /api/runs/:id/cancel); a running handler is interrupted at its next heartbeat"
))
