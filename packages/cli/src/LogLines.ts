/** One line of a task run's JSONL log, as `ctx.log` wrote it. */
export interface LogEntry {
  readonly ts: string
  readonly level: string
  readonly message: string
  /** The attempt that wrote it; `null` for lines of workers that did not record it. */
  readonly attempt: number | null
  /** The other fields given to `ctx.log`. */
  readonly fields: Readonly<Record<string, unknown>>
}

const text = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value) ?? String(value))

/** The entries of a JSONL log; a line that is not a JSON object is kept as its text. */
export const parseLogLines = (jsonl: string): ReadonlyArray<LogEntry> =>
  jsonl.split("\n").filter((line) => line.trim() !== "").map((line): LogEntry => {
    let parsed: unknown
    try {
      parsed = JSON.parse(line)
    } catch {
      parsed = undefined
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return { ts: "-", level: "-", message: line, attempt: null, fields: {} }
    }
    const { attempt, level, message, ts, ...fields } = parsed as Record<string, unknown>
    return {
      ts: ts === undefined ? "-" : text(ts),
      level: level === undefined ? "-" : text(level),
      message: message === undefined ? "" : text(message),
      attempt: typeof attempt === "number" && Number.isInteger(attempt) ? attempt : null,
      fields
    }
  })

/**
 * `2026-11-30T22:51:58.123Z INFO  [attempt 1] extracting page=3`: timestamp, level, the attempt
 * (when `withAttempt`), message and the other fields as `key=value`, on one line.
 */
export const renderLogLine = (entry: LogEntry, withAttempt: boolean): string => {
  const attempt = withAttempt ? `[attempt ${entry.attempt ?? "?"}] ` : ""
  const fields = Object.entries(entry.fields).map(([key, value]) => ` ${key}=${text(value)}`).join("")
  return `${entry.ts} ${entry.level.toUpperCase().padEnd(5)} ${attempt}${entry.message}${fields}`.replace(/\r?\n/g, "\\n")
}
