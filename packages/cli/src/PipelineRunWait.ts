import type { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import { Console, Effect } from "effect"
import { CliFailure } from "./CliFailure.js"
import type { OrchestratorClient } from "./OrchestratorClient.js"
import { isTerminal } from "./TaskRunView.js"

/**
 * Polls `GET /api/runs/:id` every `intervalMs` until the run leaves `running`; unless `quiet`,
 * notes on stderr each task that ends (completed, failed, cancelled or skipped).
 */
export const waitForPipelineRun = (client: OrchestratorClient, runId: string, intervalMs: number, quiet: boolean) => {
  const seen = new Map<string, string>()
  const note = (run: PipelineRunDetail) =>
    Effect.forEach(run.tasks, (task) => {
      if (!isTerminal(task.status) || seen.get(task.taskId) === task.status) return Effect.void
      seen.set(task.taskId, task.status)
      return quiet ? Effect.void : Console.error(`${runId}: ${task.taskId} ${task.status}`)
    }, { discard: true })
  const poll: Effect.Effect<PipelineRunDetail, unknown> = Effect.flatMap(
    client.pipelines.run({ path: { id: runId } }),
    (run) =>
      Effect.zipRight(
        note(run),
        run.status === "running" ? Effect.zipRight(Effect.sleep(intervalMs), Effect.suspend(() => poll)) : Effect.succeed(run)
      )
  )
  return poll
}

const failedTasks = (run: PipelineRunDetail): string =>
  run.tasks
    .filter((task) => task.status === "failed")
    .map((task) => {
      const run = task.taskRunId ? ` (${task.taskRunId})` : ""
      return `${task.taskId}${run}: ${task.errorCode ? `[${task.errorCode}] ` : ""}${task.error ?? "failed"}`
    })
    .join("; ")

/** The exit of `trigger --wait`: nothing for `completed`, exit 1 for `failed`/`cancelled`, exit 3 for `partial`. */
export const pipelineRunOutcome = (run: PipelineRunDetail): Effect.Effect<void, CliFailure> => {
  const why = failedTasks(run)
  switch (run.status) {
    case "completed":
    case "running":
      return Effect.void
    case "partial":
      return Effect.fail(CliFailure.exit(3, `pipeline run ${run.runId} ended partial${why ? `: ${why}` : ""}`))
    case "failed":
    case "cancelled":
      return Effect.fail(CliFailure.exit(1, `pipeline run ${run.runId} ${run.status}${why ? `: ${why}` : ""}`))
  }
}
