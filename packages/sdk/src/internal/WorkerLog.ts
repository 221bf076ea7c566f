import { type LogSettings, loggerLayer } from "@pipeweave/domain/LogSettings"
import { Context, Effect, Layer, LogLevel as EffectLogLevel, ManagedRuntime } from "effect"

/** Where a worker prints: anything with console's `info`/`warn`/`error` (and optionally `debug`). */
export interface WorkerLogger {
  readonly info: (message: string) => void
  readonly warn: (message: string) => void
  readonly error: (message: string) => void
  readonly debug?: (message: string) => void
}

/** Log levels of the worker and of `ctx.log`. */
export type LogLevel = "debug" | "info" | "warn" | "error"

/** The ids a log line is about (a task run's attempt, say). */
export type LogAnnotations = Readonly<Record<string, string | number>>

export interface WorkerLogShape {
  readonly log: (level: LogLevel, message: string, annotations?: LogAnnotations) => Effect.Effect<void>
}

export class WorkerLog extends Context.Tag("@pipeweave/sdk/WorkerLog")<WorkerLog, WorkerLogShape>() {}

const PREFIX = "[PipeWeave] "

const levels: Record<LogLevel, EffectLogLevel.LogLevel> = {
  debug: EffectLogLevel.Debug,
  info: EffectLogLevel.Info,
  warn: EffectLogLevel.Warning,
  error: EffectLogLevel.Error
}

/** A `WorkerLogger` the application passed: lines as before, `[PipeWeave] [task run#attempt] message`. */
const toCustom = (target: WorkerLogger): WorkerLogShape => ({
  log: (level, message, annotations) =>
    Effect.sync(() => {
      const about = annotations === undefined
        ? ""
        : `[${annotations["taskId"] ?? ""} ${annotations["runId"] ?? "local"}${
          annotations["attempt"] === undefined ? "" : `#${annotations["attempt"]}`
        }] `
      const line = about === "" ? message : message.startsWith(PREFIX)
        ? `${PREFIX}${about}${message.slice(PREFIX.length)}`
        : `${PREFIX}${about}${message}`
      if (level === "debug") target.debug?.(line)
      else target[level](line)
    })
})

/**
 * Effect's logger in the orchestrator's format (`LOG_FORMAT`, `LOG_LEVEL`): the ids go to
 * annotations, the `[PipeWeave]` prefix is dropped.
 */
const toEffectLogger = (settings: LogSettings): WorkerLogShape => {
  const runtime = ManagedRuntime.make(loggerLayer(settings))
  return {
    log: (level, message, annotations) =>
      Effect.sync(() =>
        runtime.runSync(
          Effect.logWithLevel(levels[level], message.startsWith(PREFIX) ? message.slice(PREFIX.length) : message).pipe(
            Effect.annotateLogs({ source: "pipeweave-sdk", ...annotations })
          )
        )
      )
  }
}

const silentLog: WorkerLogShape = { log: () => Effect.void }

/** `silent` prints nothing; a `logger` gets plain lines; otherwise Effect's logger in `settings`' format. */
export const makeWorkerLog = (
  logger: WorkerLogger | undefined,
  silent: boolean,
  settings: LogSettings = { format: "json", level: "info" }
): WorkerLogShape => silent ? silentLog : logger !== undefined ? toCustom(logger) : toEffectLogger(settings)

export const layerWorkerLog = (
  logger: WorkerLogger | undefined,
  silent: boolean,
  settings?: LogSettings
): Layer.Layer<WorkerLog> => Layer.sync(WorkerLog, () => makeWorkerLog(logger, silent, settings))
