import type { Table } from "./extractTables.js"

/** Statistics of a column whose body cells are all numbers. */
export interface NumericColumn {
  readonly column: string
  readonly index: number
  readonly values: number
  readonly sum: number
  readonly mean: number
  readonly min: number
  readonly max: number
}

/** One table's shape: `rows` counts body rows (without the header). */
export interface TableSummary {
  readonly page: number
  readonly rows: number
  readonly columns: number
  readonly header: ReadonlyArray<string> | null
  readonly numericColumns: ReadonlyArray<NumericColumn>
}

/** All tables: how many, their body rows in total, and each table's summary. */
export interface TableStats {
  readonly count: number
  readonly rows: number
  readonly tables: ReadonlyArray<TableSummary>
}

/**
 * Reads a table cell as a number: `1,037`, `-4.5`, `(120)` (negative), `$1,200`, `12%`;
 * `undefined` for anything else.
 */
export const parseNumber = (cell: string): number | undefined => {
  const trimmed = cell.trim().replace(/^\((.*)\)$/, "-$1").replace(/\u2212/g, "-")
  const match = /^([-+]?)\s*[$€£]?\s*(\d{1,3}(?:,\d{3})+|\d+)?(\.\d+)?\s*%?$/.exec(trimmed)
  if (match === null || (match[2] === undefined && match[3] === undefined)) return undefined
  const value = Number(`${(match[2] ?? "0").replace(/,/g, "")}${match[3] ?? ""}`)
  return match[1] === "-" ? -value : value
}

const round = (value: number): number => Math.round(value * 1e6) / 1e6

const summarizeTable = (table: Table): TableSummary => {
  const [first = [], ...rest] = table.rows
  const hasHeader = rest.length > 0 && first.every((cell) => parseNumber(cell) === undefined) &&
    rest.some((row) => row.some((cell) => parseNumber(cell) !== undefined))
  const body = hasHeader ? rest : table.rows
  const numericColumns = Array.from({ length: table.columns }, (_, index): NumericColumn | undefined => {
    const cells = body.map((row) => row[index] ?? "").filter((cell) => cell.trim() !== "")
    const values = cells.map(parseNumber).filter((value): value is number => value !== undefined)
    if (values.length === 0 || values.length !== cells.length) return undefined
    const sum = values.reduce((total, value) => total + value, 0)
    return {
      column: hasHeader && first[index] ? first[index] : `column ${index + 1}`,
      index,
      values: values.length,
      sum: round(sum),
      mean: round(sum / values.length),
      min: Math.min(...values),
      max: Math.max(...values)
    }
  }).filter((column): column is NumericColumn => column !== undefined)
  const header = hasHeader ? first : null
  return { page: table.page, rows: body.length, columns: table.columns, header, numericColumns }
}

/** Counts tables and rows and, for each column of numbers, its sum and mean. Pure. */
export const tableStats = (tables: ReadonlyArray<Table>): TableStats => {
  const summaries = tables.map(summarizeTable)
  return { count: tables.length, rows: summaries.reduce((total, t) => total + t.rows, 0), tables: summaries }
}
