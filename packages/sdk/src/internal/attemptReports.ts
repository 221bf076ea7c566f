import type { CallbackPayload } from "@pipeweave/domain/Callback"
import type { StorageShape } from "@pipeweave/storage/Storage"
import { Effect, Option } from "effect"
import { Cancelled, Skipped } from "./AttemptErrors.js"
import type { AttemptSuccess } from "./runAttempt.js"
import type { TaskLog } from "./TaskLog.js"
import type { LogLevel } from "./WorkerLog.js"

const otherAttempts = (text: string, attempt: number): string =>
  text.split("\n").filter((line) => {
    if (line.trim() === "") return false
    try {
      return (JSON.parse(line) as { attempt?: unknown }).attempt !== attempt
    } catch {
      return true
    }
  }).map((line) => line + "\n").join("")

/**
 * The lines earlier attempts wrote to `key` (none for a first attempt); a line of `attempt` itself
 * is dropped, so a re-delivered attempt does not repeat itself.
 */
const earlierLines = (
  storage: StorageShape,
  key: string,
  attempt: number,
  say: (level: LogLevel, message: string) => Effect.Effect<void>
): Effect.Effect<string> =>
  attempt <= 1
    ? Effect.succeed("")
    : storage.get(key).pipe(
      Effect.map((bytes) => otherAttempts(Buffer.from(bytes).toString("utf8"), attempt)),
      Effect.catchTag("ObjectNotFound", () => Effect.succeed("")),
      Effect.catchAll((e) =>
        say("warn", `reading the earlier attempts' logs at '${key}' failed: ${e.message}`).pipe(Effect.as(""))
      )
    )

/**
 * Appends the attempt's JSONL log to the run's log at `key` (after the lines of earlier attempts),
 * unless it has no line (then nothing is written and the callback names no `logsPath`); a storage
 * failure is logged and yields `None`.
 */
export const writeLogs = (
  storage: StorageShape,
  key: string,
  log: TaskLog,
  attempt: number,
  say: (level: LogLevel, message: string) => Effect.Effect<void>
): Effect.Effect<Option.Option<string>> =>
  Effect.suspend(() => {
    const text = log.jsonl()
    return text === ""
      ? Effect.succeedNone
      : earlierLines(storage, key, attempt, say).pipe(
        Effect.flatMap((earlier) => storage.put(key, earlier + text, "application/x-ndjson")),
        Effect.as(Option.some(key)),
        Effect.catchAll((e) => say("warn", `writing logs to '${key}' failed: ${e.message}`).pipe(Effect.as(Option.none())))
      )
  })

const logsField = (logsPath: Option.Option<string>) =>
  Option.match(logsPath, { onNone: () => ({}), onSome: (path) => ({ logsPath: path }) })

/** The success callback of an attempt. */
export const successPayload = (attempt: number, s: AttemptSuccess, logsPath: Option.Option<string>): CallbackPayload => ({
  status: "success",
  attempt,
  outputPath: s.outputPath,
  outputSize: s.outputSize,
  ...Option.match(s.inlineOutput, { onNone: () => ({}), onSome: (output) => ({ output }) }),
  assets: s.assets,
  ...logsField(logsPath),
  ...(s.selectedNext === undefined ? {} : { selectedNext: s.selectedNext })
})

/** An attempt that ends without a callback: cancelled, answered from the idempotency cache, or stale. */
export interface EarlyEnd {
  readonly status: "success" | "failure"
  readonly note: Option.Option<readonly [LogLevel, string]>
}

/** Whether `error` ends the attempt without a callback, and how it is acknowledged and logged. */
export const earlyEndOf = (error: unknown): Option.Option<EarlyEnd> => {
  if (error instanceof Cancelled) {
    return Option.some({
      status: "failure",
      note: Option.some(["info", "cancelled by the orchestrator; handler interrupted, no callback sent"] as const)
    })
  }
  if (!(error instanceof Skipped)) return Option.none()
  return Option.some(
    error.reason === "cached"
      ? { status: "success", note: Option.none() }
      : { status: "failure", note: Option.some(["warn", `${error.message}; handler not run, no callback sent`] as const) }
  )
}
