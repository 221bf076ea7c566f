import type { TaskRun, TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { elapsed, fields, table, time } from "./Output.js"

/** States a task run never leaves. */
export const isTerminal = (status: TaskRunStatus): boolean =>
  status === "completed" || status === "failed" || status === "cancelled" || status === "skipped"

const errorText = (error: string | null, code: string | null): string =>
  error === null ? "-" : code === null ? error : `[${code}] ${error}`

/** One line: why a run did not complete. */
export const failureLine = (run: TaskRun): string =>
  `${run.runId} (${run.taskId}) ${run.status} after ${run.attempts.length} attempt(s): ${errorText(run.error, run.errorCode)}`

/** Everything `pipeweave status trun_…` shows. */
export const renderTaskRun = (run: TaskRun): string => {
  const took = run.startedAt && run.completedAt ? ` (took ${elapsed(run.startedAt, run.completedAt)})` : ""
  const rows: Array<readonly [string, string]> = [
    ["status", run.status],
    ["task", run.taskId],
    ["pipeline run", run.pipelineRunId ?? "- (standalone)"],
    ["priority", String(run.priority)],
    ["attempt", `${run.attempt} of ${run.maxAttempts}`],
    ["code", run.codeVersion === null ? "-" : `v${run.codeVersion} ${run.codeHash ?? ""}`.trim()],
    ["created", time(run.createdAt)],
    ["available", time(run.availableAt)],
    ["started", time(run.startedAt)],
    ["finished", `${time(run.completedAt)}${took}`],
    ["last heartbeat", time(run.lastHeartbeatAt)],
    ["input", run.inputPath],
    ["output", run.outputPath === null ? "-" : `${run.outputPath} (${run.outputSize ?? 0} bytes)`]
  ]
  if (run.progress) rows.push(["progress", `${run.progress.percent}%${run.progress.message ? ` ${run.progress.message}` : ""}`])
  if (run.logsPath) rows.push(["logs", run.logsPath])
  if (run.selectedNext) rows.push(["selected next", run.selectedNext.join(", ") || "(none)"])
  for (const [name, asset] of Object.entries(run.assets)) rows.push([`asset ${name}`, `${asset.path} (${asset.type}, ${asset.size} bytes)`])
  if (run.error !== null) rows.push(["error", errorText(run.error, run.errorCode)])
  const attempts = run.attempts.length === 0
    ? "attempts: none yet"
    : `attempts:\n${
      table(
        ["#", "STATUS", "CODE", "WORKER", "STARTED", "ENDED", "ERROR"],
        run.attempts.map((a) => [
          String(a.attempt),
          a.status,
          `v${a.codeVersion}`,
          a.workerUrl ?? "-",
          time(a.startedAt),
          time(a.endedAt),
          a.error === null ? "" : errorText(a.error, a.errorCode)
        ])
      ).replace(/^/gm, "  ")
    }`
  const details = run.attempts.filter((a) => a.errorDetails !== null).map((a) =>
    `attempt ${a.attempt} error details:\n${JSON.stringify(a.errorDetails, null, 2).replace(/^/gm, "  ")}`
  )
  return [`${run.runId}\n${fields(rows, "  ")}\n${attempts}`, ...details].join("\n")
}
