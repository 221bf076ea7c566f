/** Renders rows as a plain-text table; columns after the first are right-aligned unless `left` lists them. */
export const table = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  left: ReadonlySet<number> = new Set([0])
): string => {
  const all = [headers, ...rows]
  const widths = headers.map((_, c) => Math.max(...all.map((row) => [...(row[c] ?? "")].length)))
  const line = (row: ReadonlyArray<string>) =>
    row.map((cell, c) => {
      const pad = " ".repeat(widths[c]! - [...cell].length)
      return left.has(c) ? cell + pad : pad + cell
    }).join("  ").trimEnd()
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n")
}
