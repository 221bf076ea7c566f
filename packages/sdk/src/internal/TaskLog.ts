import { Effect } from "effect"
import type { LogLevel } from "./WorkerLog.js"

/** One `ctx.log` line as written to the run's JSONL log (`attempt` is the attempt that wrote it). */
export interface LogLine {
  readonly ts: string
  readonly level: LogLevel
  readonly message: string
  readonly attempt?: number
  readonly [field: string]: unknown
}

/** Collects an attempt's log lines and forwards each to the worker's logger. */
export interface TaskLog {
  readonly write: (level: LogLevel, message: string, fields?: Record<string, unknown>) => Effect.Effect<void>
  /** The lines written so far as JSONL; "" while no line was written. */
  readonly jsonl: () => string
}

const reserved = new Set(["ts", "level", "message", "attempt"])

const safeFields = (fields: Record<string, unknown> | undefined): Record<string, unknown> => {
  if (fields === undefined || typeof fields !== "object") return {}
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(fields)) if (!reserved.has(key)) out[key] = value
  return out
}

const lineText = (line: LogLine): string => {
  try {
    return JSON.stringify(line)
  } catch {
    return JSON.stringify({ ts: line.ts, level: line.level, message: line.message })
  }
}

/** A task log; each line names `attempt` when one is given (dispatched attempts, not local runs). */
export const makeTaskLog = (
  forward: (level: LogLevel, message: string) => Effect.Effect<void>,
  attempt?: number
): TaskLog => {
  // A plain array: each write appends in one step of its own effect, as a `Ref` would.
  const lines: Array<LogLine> = []
  return {
    write: (level, message, fields) =>
      Effect.clockWith((clock) => {
        const line: LogLine = {
          ts: new Date(clock.unsafeCurrentTimeMillis()).toISOString(),
          level,
          message: String(message),
          ...(attempt === undefined ? {} : { attempt }),
          ...safeFields(fields)
        }
        lines.push(line)
        return forward(level, line.message)
      }),
    jsonl: () => lines.map((line) => lineText(line) + "\n").join("")
  }
}
