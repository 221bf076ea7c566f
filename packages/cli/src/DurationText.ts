import { Option } from "effect"

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** What `parseDuration` accepts, for messages. */
export const DURATION_FORMAT = "a number with a unit ms, s, m or h, e.g. 30s, 5m, 1h or 1h30m"

/** `30s`, `5m`, `1h`, `500ms`, `1h30m` as milliseconds; `None` for anything else, zero included. */
export const parseDuration = (text: string): Option.Option<number> => {
  const trimmed = text.trim()
  if (!/^(\d+(ms|s|m|h))+$/.test(trimmed)) return Option.none()
  let total = 0
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(amount) * UNIT_MS[unit!]!
  return total > 0 && Number.isSafeInteger(total) ? Option.some(total) : Option.none()
}

/** Milliseconds as `850ms`, `12.3s`, `4m05s` or `1h02m`: the elapsed times of the live view. */
export const formatElapsed = (ms: number): string => {
  const clamped = Math.max(0, Math.floor(ms))
  if (clamped < 1000) return `${clamped}ms`
  if (clamped < 60_000) return clamped % 1000 === 0 ? `${clamped / 1000}s` : `${(Math.floor(clamped / 100) / 10).toFixed(1)}s`
  const seconds = Math.floor(clamped / 1000)
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}m`
}
