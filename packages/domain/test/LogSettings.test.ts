import { Effect, Either, Logger } from "effect"
import { afterEach, describe, expect, it, vi } from "vitest"
import { loggerLayer, parseLogSettings } from "../src/LogSettings.js"

describe("LOG_FORMAT / LOG_LEVEL", () => {
  afterEach(() => vi.restoreAllMocks())

  it("defaults to json at info when stdout is not a TTY, pretty on a TTY", () => {
    expect(Either.getOrThrow(parseLogSettings({}, false))).toEqual({ format: "json", level: "info" })
    expect(Either.getOrThrow(parseLogSettings({}, true))).toEqual({ format: "pretty", level: "info" })
    expect(Either.getOrThrow(parseLogSettings({ LOG_FORMAT: " ", LOG_LEVEL: "" }, true))).toEqual({
      format: "pretty",
      level: "info"
    })
  })

  it("takes an explicit format and level over the TTY default, case-insensitively", () => {
    expect(Either.getOrThrow(parseLogSettings({ LOG_FORMAT: "JSON", LOG_LEVEL: "Debug" }, true))).toEqual({
      format: "json",
      level: "debug"
    })
    expect(Either.getOrThrow(parseLogSettings({ LOG_FORMAT: "logfmt", LOG_LEVEL: "warning" }, false))).toEqual({
      format: "logfmt",
      level: "warn"
    })
    expect(Either.getOrThrow(parseLogSettings({ LOG_FORMAT: "pretty", LOG_LEVEL: "error" }, false))).toEqual({
      format: "pretty",
      level: "error"
    })
  })

  it("names every bad value", () => {
    const bad = parseLogSettings({ LOG_FORMAT: "xml", LOG_LEVEL: "verbose" }, false)
    expect(Either.isLeft(bad)).toBe(true)
    expect(Either.isLeft(bad) && bad.left).toEqual([
      `LOG_FORMAT must be "pretty", "json" or "logfmt" (got "xml")`,
      `LOG_LEVEL must be "debug", "info", "warn" or "error" (got "verbose")`
    ])
  })

  it("writes one JSON object a line with the annotations, and nothing below the level", () => {
    const lines: Array<string> = []
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)))
    Effect.runSync(
      Effect.gen(function*() {
        yield* Effect.logDebug("hidden")
        yield* Effect.logInfo("retry scheduled").pipe(Effect.annotateLogs({ runId: "trun_1", delayMs: 1000 }))
        yield* Effect.logWarning("dead-lettered")
      }).pipe(Effect.provide(loggerLayer({ format: "json", level: "info" })))
    )
    const parsed = lines.map((line) => JSON.parse(line))
    expect(parsed.map((l) => [l.logLevel, l.message])).toEqual([["INFO", "retry scheduled"], ["WARN", "dead-lettered"]])
    expect(parsed[0].annotations).toEqual({ runId: "trun_1", delayMs: 1000 })
  })

  it("takes the place of the pretty logger NodeRuntime.runMain installs", () => {
    const lines: Array<string> = []
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)))
    Effect.runSync(
      Effect.logInfo("once").pipe(
        Effect.provide(loggerLayer({ format: "json", level: "info" })),
        Effect.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLoggerDefault))
      )
    )
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(["once"])
  })

  it("at warn, drops info lines", () => {
    const lines: Array<string> = []
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)))
    Effect.runSync(
      Effect.zipRight(Effect.logInfo("quiet"), Effect.logError("loud")).pipe(
        Effect.provide(loggerLayer({ format: "logfmt", level: "warn" }))
      )
    )
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain("level=ERROR")
    expect(lines[0]).toContain("message=loud")
  })
})
