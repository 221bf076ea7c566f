import { Console, Effect, Schema } from "effect"

/** Prints `value` as the JSON the orchestrator sent (re-encoded through its contract schema). */
export const printJson = <A, I>(schema: Schema.Schema<A, I>, value: A): Effect.Effect<void> =>
  Schema.encode(schema)(value).pipe(
    Effect.orDie,
    Effect.flatMap((encoded) => Console.log(JSON.stringify(encoded, null, 2)))
  )

/** Prints JSON with `--json`, else the human rendering. */
export const present = <A, I>(
  json: boolean,
  schema: Schema.Schema<A, I>,
  value: A,
  render: (value: A) => string
): Effect.Effect<void> => (json ? printJson(schema, value) : Console.log(render(value)))

/** Left-aligned columns separated by two spaces, with a header row. */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd()
  return [line(headers), ...rows.map(line)].join("\n")
}

/** Aligned `label  value` lines. */
export const fields = (entries: ReadonlyArray<readonly [string, string]>, indent = ""): string => {
  const width = Math.max(...entries.map(([label]) => label.length))
  return entries.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join("\n")
}

/** An ISO timestamp, or `-`. */
export const time = (date: Date | null | undefined): string => (date ? date.toISOString() : "-")

/** A duration between two instants in the largest sensible unit. */
export const elapsed = (from: Date, to: Date): string => {
  const ms = to.getTime() - from.getTime()
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`
}

/** A comma-separated list, or `fallback` when empty. */
export const list = (items: ReadonlyArray<string>, fallback = "-"): string =>
  items.length === 0 ? fallback : items.join(", ")

/** The `1-50 of 120 (next: --offset 50)` line under a page of `shown` rows. */
export const pageFooter = (page: { readonly offset: number; readonly total: number }, shown: number): string => {
  const last = page.offset + shown
  return `${page.offset + 1}-${last} of ${page.total}${last < page.total ? ` (next: --offset ${last})` : ""}`
}

/** A size in bytes as `512 B`, `2.0 KiB`, `20.0 MiB`; `-` when unknown. */
export const bytes = (size: number | null): string => {
  if (size === null) return "-"
  if (size < 1024) return `${size} B`
  const units = ["KiB", "MiB", "GiB", "TiB"]
  let value = size / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(1)} ${units[unit]}`
}
