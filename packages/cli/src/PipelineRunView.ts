import type { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import { elapsed, fields, table, time } from "./Output.js"

const code = (task: PipelineRunDetail["tasks"][number]): string =>
  task.codeVersion === null
    ? "-"
    : `v${task.codeVersion}${task.codeChanged ? `, code changed (now v${task.currentCodeVersion ?? "?"})` : ""}`

/** Everything `pipeweave status prun_…` (and `trigger --wait`) shows. */
export const renderPipelineRun = (run: PipelineRunDetail): string => {
  const took = run.completedAt ? ` (took ${elapsed(run.createdAt, run.completedAt)})` : ""
  const header = fields([
    ["status", run.status],
    ["pipeline", `${run.pipelineId} (version ${run.pipelineVersion})`],
    ["failure mode", run.failureMode],
    ["created", time(run.createdAt)],
    ["finished", `${time(run.completedAt)}${took}`],
    ["input", run.inputPath]
  ], "  ")
  const tasks = table(
    ["TASK", "RUN", "STATUS", "ATTEMPTS", "CODE", "DURATION", "OUTPUT / ERROR"],
    run.tasks.map((task) => [
      task.taskId,
      task.taskRunId ?? "-",
      task.status,
      String(task.attempts),
      code(task),
      task.durationMs === null ? "-" : `${task.durationMs}ms`,
      task.error !== null ? `${task.errorCode ? `[${task.errorCode}] ` : ""}${task.error}` : task.outputPath ?? ""
    ])
  ).replace(/^/gm, "  ")
  return `${run.runId}\n${header}\ntasks:\n${tasks}`
}
