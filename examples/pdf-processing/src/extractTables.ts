import { groupRows, type Row } from "./groupRows.js"
import { withPdf } from "./openPdf.js"

/** A table found on a page: its rows top to bottom, each with one string per column ("" when empty). */
export interface Table {
  readonly page: number
  readonly rows: ReadonlyArray<ReadonlyArray<string>>
  readonly columns: number
}

interface Cell {
  readonly text: string
  readonly left: number
  readonly right: number
  readonly height: number
}

const cellsOf = (row: Row): Array<Cell> => {
  const cells: Array<{ text: string; left: number; right: number; height: number }> = []
  for (const item of row.items) {
    const last = cells.at(-1)
    if (last !== undefined && item.x - last.right < Math.max(last.height, item.height)) {
      last.text += item.x - last.right > 0.1 * item.height ? ` ${item.text}` : item.text
      last.right = Math.max(last.right, item.x + item.width)
      last.height = Math.max(last.height, item.height)
    } else {
      cells.push({ text: item.text, left: item.x, right: item.x + item.width, height: item.height })
    }
  }
  return cells.map((cell) => ({ ...cell, text: cell.text.replace(/\s+/g, " ").trim() }))
}

const aligned = (p: Cell, q: Cell): boolean => {
  const tolerance = Math.max(2, 0.3 * Math.min(p.height, q.height))
  return Math.abs(p.left - q.left) <= tolerance || Math.abs(p.right - q.right) <= tolerance ||
    Math.abs(p.left + p.right - q.left - q.right) / 2 <= tolerance
}

const sharedColumns = (upper: ReadonlyArray<Cell>, lower: ReadonlyArray<Cell>): number => {
  const used = new Set<Cell>()
  for (const cell of upper) {
    const match = lower.find((other) => !used.has(other) && aligned(cell, other))
    if (match !== undefined) used.add(match)
  }
  return used.size
}

interface Line {
  readonly y: number
  readonly height: number
  readonly cells: ReadonlyArray<Cell>
}

const linked = (upper: Line, lower: Line): boolean =>
  upper.cells.length >= 2 && lower.cells.length >= 2 &&
  upper.y - lower.y <= 2.5 * Math.max(upper.height, lower.height) &&
  sharedColumns(upper.cells, lower.cells) >= 2

const toTable = (page: number, lines: ReadonlyArray<Line>): Table => {
  const columns: Array<Array<Cell>> = []
  for (const cell of lines.flatMap((line) => line.cells)) {
    const column = columns.find((members) => members.some((member) => aligned(member, cell)))
    if (column === undefined) columns.push([cell])
    else column.push(cell)
  }
  const ordered = columns
    .map((members) => ({ left: Math.min(...members.map((cell) => cell.left)), members: new Set(members) }))
    .sort((p, q) => p.left - q.left)
  const rows = lines.map((line) =>
    ordered.map(({ members }) => line.cells.filter((cell) => members.has(cell)).map((cell) => cell.text).join(" "))
  )
  return { page, rows, columns: ordered.length }
}

/**
 * Finds tables among a page's rows: a row splits into cells wherever the horizontal gap between
 * items is at least one text height; runs of two or more consecutive rows with at least two
 * cells each, where every neighbouring pair shares at least two aligned columns (left, right or
 * centre within max(2pt, 0.3 × text height)) and sits within 2.5 text heights, form a table.
 * Cells of the run are then clustered into columns by the same alignment test.
 */
export const findTables = (rows: ReadonlyArray<Row>, page: number): Array<Table> => {
  const lines = rows.map((row) => ({ y: row.y, height: row.height, cells: cellsOf(row) }))
  const tables: Array<Table> = []
  let run: Array<Line> = []
  const close = () => {
    if (run.length >= 2) tables.push(toTable(page, run))
    run = []
  }
  for (const line of lines) {
    const last = run.at(-1)
    if (last !== undefined && linked(last, line)) {
      run.push(line)
    } else {
      close()
      run = [line]
    }
  }
  close()
  return tables
}

/** Extracts the tables of every page of a PDF; `onPage(page, pages)` runs after each page. */
export const extractTables = (
  bytes: Uint8Array,
  onPage?: (page: number, pages: number) => void | Promise<void>
): Promise<Array<Table>> =>
  withPdf(bytes, async (pdf) => {
    const tables: Array<Table> = []
    for (let page = 1; page <= pdf.pages; page++) {
      tables.push(...findTables(groupRows(await pdf.textItems(page)), page))
      await onPage?.(page, pdf.pages)
    }
    return tables
  })
