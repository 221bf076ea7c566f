import type { CallbackPayload } from "@pipeweave/domain/Callback"
import type { StorageShape } from "@pipeweave/storage/Storage"
import { Effect, Option } from "effect"
import { Cancelled, Skipped } from "./AttemptErrors.js"
import type { AttemptSuccess } from "./runAttempt.js"
import type { TaskLog } from "./TaskLog.js"
import type { LogLevel } from "./WorkerLog.js"

/**
 * Writes the attempt's JSONL log to `key`, unless it has no line (then nothing is written and the
 * callback names no `logsPath`); a storage failure is logged and yields `None`.
 */
export const writeLogs = (
  storage: StorageShape,
  key: string,
  log: TaskLog,
  say: (level: LogLevel, message: string) => Effect.Effect<void>
): Effect.Effect<Option.Option<string>> =>
  Effect.flatMap(log.jsonl, (text) =>
    text === ""
      ? Effect.succeedNone
      : storage.put(key, text, "application/x-ndjson").pipe(
        Effect.as(Option.some(key)),
        Effect.catchAll((e) => say("warn", `writing logs to '${key}' failed: ${e.message}`).pipe(Effect.as(Option.none())))
      ))

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
