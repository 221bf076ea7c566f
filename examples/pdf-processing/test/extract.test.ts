import { readFile } from "node:fs/promises"
import { describe, expect, it } from "vitest"
import { extractTables, findTables } from "../src/extractTables.js"
import { extractText } from "../src/extractText.js"
import { groupRows } from "../src/groupRows.js"
import type { TextItem } from "../src/openPdf.js"
import { memoPath, quarterlyReportPath } from "../src/samples.js"

const report = await readFile(quarterlyReportPath)
const memo = await readFile(memoPath)

const item = (text: string, x: number, y: number, size = 10): TextItem => ({
  text,
  x,
  y,
  width: 0.5 * size * text.length,
  height: size
})

const words = (line: string, x: number, y: number, size = 10): Array<TextItem> => {
  let cursor = x
  return line.split(" ").map((word) => {
    const at = item(word, cursor, y, size)
    cursor += at.width + 0.25 * size
    return at
  })
}

describe("extractText", () => {
  it("reads every page of the quarterly report, in reading order, pages split by a form feed", async () => {
    const { pageTexts, pages, text } = await extractText(report)
    expect(pages).toBe(2)
    expect(pageTexts).toHaveLength(2)
    expect(text.split("\f")).toHaveLength(2)
    expect(pageTexts[0]).toMatch(/^Northwind Instruments Quarterly Report: Q3 2024\n\nNorthwind Instruments closed/)
    expect(pageTexts[0]).toContain("Gross margin improved to 41 percent as the Rotterdam plant reached full")
    expect(pageTexts[0]).toContain("Region Q1 Q2 Q3\nNorth America 4,120 4,385 4,702\nEurope 3,045 3,190 3,318")
    expect(pageTexts[0]).toContain("Northwind Instruments - Q3 2024 Page 1 of 2")
    expect(pageTexts[1]).toMatch(/^Outlook\n\nFor the fourth quarter, management expects revenue between 13.0 and 13.4/)
    expect(pageTexts[1]).toContain("\n\nRisks\n\nThe main risks to the outlook")
    expect(text).toContain("spectrometer line will ship to the first customers in November.")
  })

  it("reads the one-page memo", async () => {
    const { pages, text } = await extractText(memo)
    expect(pages).toBe(1)
    expect(text).toContain("MEMORANDUM\n\nTo: All engineering staff\nFrom: Maria Lindqvist, Director of Operations")
    expect(text).toContain("reply to this memo.")
    expect(text).not.toContain("\f")
  })

  it("rejects bytes that are not a PDF with a non-retryable INVALID_PDF, leaving them intact", async () => {
    const bytes = new TextEncoder().encode("%PDF-1.7\nthis is not really a PDF")
    await expect(extractText(bytes)).rejects.toMatchObject({ name: "TaskError", code: "INVALID_PDF", retryable: false })
    expect(bytes.byteLength).toBeGreaterThan(0)
    await expect(extractTables(new Uint8Array())).rejects.toMatchObject({ code: "INVALID_PDF", retryable: false })
  })
})

describe("extractTables", () => {
  it("finds the revenue table of the quarterly report with its header and numeric cells, once per call", async () => {
    const seen: Array<[number, number]> = []
    const tables = await extractTables(report, (page, pages) => {
      seen.push([page, pages])
    })
    expect(seen).toEqual([[1, 2], [2, 2]])
    expect(tables).toEqual([{
      page: 1,
      columns: 4,
      rows: [
        ["Region", "Q1", "Q2", "Q3"],
        ["North America", "4,120", "4,385", "4,702"],
        ["Europe", "3,045", "3,190", "3,318"],
        ["Asia Pacific", "2,380", "2,615", "2,904"],
        ["Latin America", "910", "968", "1,037"],
        ["Middle East and Africa", "540", "582", "611"]
      ]
    }])
  })

  it("finds no table in the memo", async () => {
    expect(await extractTables(memo)).toEqual([])
  })
})

describe("findTables", () => {
  const paragraph = (top: number, lines: ReadonlyArray<string>) =>
    lines.flatMap((line, i) => words(line, 72, top - 14 * i))

  it("reports nothing for paragraphs, even with one item per word", () => {
    const items = paragraph(700, [
      "The calibration laboratory will move from Building A to the second",
      "floor of Building C during the week of November 4. The new space",
      "has twice the bench area and a dedicated clean room."
    ])
    expect(findTables(groupRows(items), 1)).toEqual([])
  })

  it("reports nothing for a single row of two cells (a page footer)", () => {
    const items = [...paragraph(700, ["Some prose here."]), item("Report", 72, 40), item("Page 1 of 2", 480, 40)]
    expect(findTables(groupRows(items), 1)).toEqual([])
  })

  it("finds left-aligned and right-aligned columns, with empty cells for gaps", () => {
    const right = (text: string, edge: number, y: number) => item(text, edge - 5 * text.length, y)
    const items = [
      item("Item", 72, 500), right("Qty", 300, 500), right("Price", 400, 500),
      item("Bolts", 72, 486), right("120", 300, 486), right("0.25", 400, 486),
      item("Nuts", 72, 472), right("4.50", 400, 472),
      item("Washers", 72, 458), right("75", 300, 458), right("0.10", 400, 458)
    ]
    expect(findTables(groupRows(items), 3)).toEqual([{
      page: 3,
      columns: 3,
      rows: [["Item", "Qty", "Price"], ["Bolts", "120", "0.25"], ["Nuts", "", "4.50"], ["Washers", "75", "0.10"]]
    }])
  })

  it("ends a table at a wide vertical gap and at rows that do not share two columns", () => {
    const items = [
      item("a", 72, 500), item("1", 200, 500),
      item("b", 72, 486), item("2", 200, 486),
      item("c", 72, 400), item("3", 200, 400),
      item("d", 72, 386), item("4", 200, 386),
      item("e", 72, 372), item("5", 320, 372)
    ]
    expect(findTables(groupRows(items), 1).map((table) => table.rows)).toEqual([
      [["a", "1"], ["b", "2"]],
      [["c", "3"], ["d", "4"]]
    ])
  })
})

describe("groupRows", () => {
  it("groups items by baseline within the tolerance, top to bottom and left to right", () => {
    const rows = groupRows([item("right", 200, 500.8), item("below", 72, 480), item("left", 72, 500)])
    expect(rows.map((row) => row.items.map((i) => i.text))).toEqual([["left", "right"], ["below"]])
  })
})
