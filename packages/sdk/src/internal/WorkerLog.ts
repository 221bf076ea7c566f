import { Context, Effect, Layer } from "effect"

/** Where a worker prints: anything with console's `info`/`warn`/`error` (and optionally `debug`). */
export interface WorkerLogger {
  readonly info: (message: string) => void
  readonly warn: (message: string) => void
  readonly error: (message: string) => void
  readonly debug?: (message: string) => void
}

/** Log levels of the worker and of `ctx.log`. */
export type LogLevel = "debug" | "info" | "warn" | "error"

export interface WorkerLogShape {
  readonly log: (level: LogLevel, message: string) => Effect.Effect<void>
}

export class WorkerLog extends Context.Tag("@pipeweave/sdk/WorkerLog")<WorkerLog, WorkerLogShape>() {}

const silentLogger: WorkerLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }

export const makeWorkerLog = (logger: WorkerLogger | undefined, silent: boolean): WorkerLogShape => {
  const target = silent ? silentLogger : logger ?? console
  return {
    log: (level, message) =>
      Effect.sync(() => {
        if (level === "debug") target.debug?.(message)
        else target[level](message)
      })
  }
}

export const layerWorkerLog = (logger: WorkerLogger | undefined, silent: boolean): Layer.Layer<WorkerLog> =>
  Layer.succeed(WorkerLog, makeWorkerLog(logger, silent))
