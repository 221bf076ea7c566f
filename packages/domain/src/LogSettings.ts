import { Effect, Either, FiberRef, HashSet, Layer, Logger, LogLevel } from "effect"

/** How log lines are written: one JSON object a line, Effect's pretty format, or logfmt. */
export type LogFormat = "json" | "pretty" | "logfmt"

/** The least severe level written. */
export type LogLevelName = "debug" | "info" | "warn" | "error"

export interface LogSettings {
  readonly format: LogFormat
  readonly level: LogLevelName
}

const FORMATS: ReadonlyArray<LogFormat> = ["json", "pretty", "logfmt"]
const LEVELS: ReadonlyArray<LogLevelName> = ["debug", "info", "warn", "error"]

type Env = Readonly<Record<string, string | undefined>>

/**
 * Reads `LOG_FORMAT` (`pretty` | `json` | `logfmt`; default `pretty` on a TTY, `json` otherwise)
 * and `LOG_LEVEL` (`debug` | `info` | `warn` | `error`; default `info`), case-insensitively.
 * Every problem is reported, one sentence each.
 */
export const parseLogSettings = (env: Env, isTty: boolean): Either.Either<LogSettings, ReadonlyArray<string>> => {
  const problems: Array<string> = []
  const rawFormat = env["LOG_FORMAT"]?.trim().toLowerCase() ?? ""
  const rawLevel = env["LOG_LEVEL"]?.trim().toLowerCase() ?? ""
  const format = rawFormat === "" ? (isTty ? "pretty" : "json") : rawFormat
  const level = rawLevel === "" ? "info" : rawLevel === "warning" ? "warn" : rawLevel
  if (!FORMATS.includes(format as LogFormat)) {
    problems.push(`LOG_FORMAT must be "pretty", "json" or "logfmt" (got "${env["LOG_FORMAT"]}")`)
  }
  if (!LEVELS.includes(level as LogLevelName)) {
    problems.push(`LOG_LEVEL must be "debug", "info", "warn" or "error" (got "${env["LOG_LEVEL"]}")`)
  }
  return problems.length > 0
    ? Either.left(problems)
    : Either.right({ format: format as LogFormat, level: level as LogLevelName })
}

const levels: Record<LogLevelName, LogLevel.LogLevel> = {
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  error: LogLevel.Error
}

const loggers: Record<LogFormat, Logger.Logger<unknown, void>> = {
  json: Logger.withConsoleLog(Logger.jsonLogger),
  pretty: Logger.prettyLogger(),
  logfmt: Logger.withConsoleLog(Logger.logfmtLogger)
}

/**
 * Writes logs in the chosen format, instead of Effect's default logger and of the pretty logger
 * `NodeRuntime.runMain` installs, and sets the minimum level.
 */
export const loggerLayer = (settings: LogSettings): Layer.Layer<never> =>
  Layer.merge(
    Layer.scopedDiscard(Effect.locallyScopedWith(FiberRef.currentLoggers, (current) =>
      current.pipe(
        HashSet.remove(Logger.defaultLogger),
        HashSet.remove(Logger.prettyLoggerDefault),
        HashSet.add(loggers[settings.format])
      ))),
    Logger.minimumLogLevel(levels[settings.level])
  )
