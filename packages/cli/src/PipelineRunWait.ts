import type { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import { Effect } from "effect"
import { CliFailure } from "./CliFailure.js"

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
