import type { DlqDetail, DlqItem, DlqPage } from "@pipeweave/domain/DeadLetter"
import { bytes, fields, pageFooter, table, time } from "./Output.js"

const errorText = (error: string, code: string | null | undefined): string => (code ? `[${code}] ${error}` : error)

const code = (entry: DlqItem): string => `v${entry.codeVersion} ${entry.codeHash}`

/** The `pipeweave dlq list` table; `retried` adds the RETRIED AS column (with `--all`). */
export const renderDlqPage = (page: typeof DlqPage.Type, retried: boolean): string => {
  if (page.items.length === 0) {
    return page.total === 0 ? "No dead letters match." : `No dead letters at offset ${page.offset} (total ${page.total}).`
  }
  const headers = ["DLQ", "TASK", "TASK RUN", "PIPELINE RUN", "CODE", "ATTEMPTS", "FAILED", "INPUT"]
    .concat(retried ? ["RETRIED AS", "ERROR"] : ["ERROR"])
  const rows = page.items.map((entry) => [
    entry.id,
    entry.taskId,
    entry.taskRunId,
    entry.pipelineRunId ?? "-",
    `v${entry.codeVersion}`,
    String(entry.attempts),
    time(entry.failedAt),
    bytes(entry.inputSize),
    ...(retried ? [entry.retriedRunId ?? "-"] : []),
    errorText(entry.error, entry.errorCode)
  ])
  return `${table(headers, rows)}\n${pageFooter(page, rows.length)}`
}

const indent = (text: string): string => text.replace(/^/gm, "  ")

/** Everything `pipeweave dlq show` prints: the entry, its input, every attempt's error, its pipeline. */
export const renderDlqDetail = (entry: DlqDetail): string => {
  const pipeline = entry.pipeline
  const header = fields([
    ["task", entry.taskId],
    ["task run", entry.taskRunId],
    [
      "pipeline",
      pipeline === null
        ? "- (standalone)"
        : `${pipeline.pipelineId} (run ${pipeline.pipelineRunId}, ${pipeline.failureMode}, now ${pipeline.status})`
    ],
    ["code", code(entry)],
    ["attempts", String(entry.attempts)],
    ["failed", time(entry.failedAt)],
    ["error", errorText(entry.error, entry.errorCode)],
    ["retried", entry.retriedRunId === null ? "no" : `as ${entry.retriedRunId} at ${time(entry.retriedAt)}`],
    ["input path", entry.inputPath],
    ["input size", bytes(entry.inputSize)]
  ], "  ")
  const input = entry.inputTruncated || entry.input === undefined
    ? `(not shown: ${entry.inputNote ?? "left out"})`
    : JSON.stringify(entry.input, null, 2)
  const attempts = entry.attemptErrors.length === 0
    ? "attempt errors: none recorded"
    : `attempt errors:\n${
      indent(table(
        ["#", "AT", "ERROR"],
        entry.attemptErrors.map((a) => [String(a.attempt), time(a.timestamp), errorText(a.error, a.errorCode)])
      ))
    }`
  const details = entry.errorDetails === null ? "" : `\nerror details:\n${indent(JSON.stringify(entry.errorDetails, null, 2))}`
  return `${entry.id}\n${header}\ninput:\n${indent(input)}\n${attempts}${details}`
}
