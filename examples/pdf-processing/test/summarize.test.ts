import { readFile } from "node:fs/promises"
import { describe, expect, it } from "vitest"
import { extractTables, type Table } from "../src/extractTables.js"
import { extractText } from "../src/extractText.js"
import { memoPath, quarterlyReportPath } from "../src/samples.js"
import { contentWords, countWords, splitSentences, summarize } from "../src/summarize.js"
import { parseNumber, tableStats } from "../src/tableStats.js"

const report = await readFile(quarterlyReportPath)
const reportText = (await extractText(report)).text
const reportTables = await extractTables(report)

describe("summarize", () => {
  it("is deterministic", () => {
    expect(summarize(reportText, reportTables)).toEqual(summarize(reportText, reportTables))
    expect(JSON.stringify(summarize(reportText))).toBe(JSON.stringify(summarize(reportText)))
  })

  it("picks the highest-scoring sentences in document order, and the most frequent keywords", () => {
    const summary = summarize(reportText)
    expect(summary.wordCount).toBe(countWords(reportText))
    expect(summary.sentenceCount).toBe(12)
    expect(summary.sentences).toEqual([
      "Northwind Instruments closed the third quarter of 2024 with revenue of 12.6 million dollars, an increase of " +
      "7.1 percent over the second quarter.",
      "Growth came from every region, led by North America, where demand for calibration services rose sharply " +
      "after two large laboratory contracts were renewed.",
      "For the fourth quarter, management expects revenue between 13.0 and 13.4 million dollars."
    ])
    expect(summary.keywords.slice(0, 3)).toEqual([
      { word: "northwind", count: 5 },
      { word: "revenue", count: 5 },
      { word: "dollars", count: 4 }
    ])
    expect(summary.keywords).toHaveLength(8)
    expect(summary.tablesIncluded).toBe(false)
    expect(summary).not.toHaveProperty("tables")
  })

  it("adds table statistics when tables are given: counts and each numeric column's sum and mean", () => {
    const summary = summarize(reportText, reportTables, { sentences: 1, keywords: 2 })
    expect(summary.sentences).toHaveLength(1)
    expect(summary.keywords).toHaveLength(2)
    expect(summary.tablesIncluded).toBe(true)
    expect(summary.tables).toEqual({
      count: 1,
      rows: 5,
      tables: [{
        page: 1,
        rows: 5,
        columns: 4,
        header: ["Region", "Q1", "Q2", "Q3"],
        numericColumns: [
          { column: "Q1", index: 1, values: 5, sum: 10995, mean: 2199, min: 540, max: 4120 },
          { column: "Q2", index: 2, values: 5, sum: 11740, mean: 2348, min: 582, max: 4385 },
          { column: "Q3", index: 3, values: 5, sum: 12572, mean: 2514.4, min: 611, max: 4702 }
        ]
      }]
    })
  })

  it("includes empty table statistics when the table branch ran and found none", async () => {
    const memoText = (await extractText(await readFile(memoPath))).text
    const summary = summarize(memoText, [])
    expect(summary.tablesIncluded).toBe(true)
    expect(summary.tables).toEqual({ count: 0, rows: 0, tables: [] })
    expect(summary.sentences[0]).toBe(
      "The calibration laboratory will move from Building A to the second floor of Building C during the week of " +
        "November 4."
    )
  })

  it("handles empty text", () => {
    const empty = { wordCount: 0, sentenceCount: 0, sentences: [], keywords: [], tablesIncluded: false }
    expect(summarize("")).toEqual(empty)
  })
})

describe("text helpers", () => {
  it("splits sentences, leaving out headings, table rows and fragments", () => {
    const text = "Heading\n\nFirst full sentence here. Second one follows it!\nAnd a third, over\ntwo lines?\n\n" +
      "Region Q1 Q2\nNorth 1 2\n\fToo short. A trailing fragment without an end"
    expect(splitSentences(text)).toEqual([
      "First full sentence here.",
      "Second one follows it!",
      "And a third, over two lines?"
    ])
  })

  it("counts words and picks content words", () => {
    expect(countWords("  Revenue grew 7.1 % - fast \n")).toBe(4)
    expect(contentWords("The company's revenue, and the company's plans.")).toEqual([
      "company",
      "revenue",
      "company",
      "plans"
    ])
  })
})

describe("tableStats", () => {
  it("parses numbers in the usual table notations", () => {
    expect(["1,037", "-4.5", "(120)", "$1,200", "12%", ".5", "+3", "−2"].map(parseNumber)).toEqual([
      1037,
      -4.5,
      -120,
      1200,
      12,
      0.5,
      3,
      -2
    ])
    expect(["", "Q1", "1,23", "12abc", "-", "1.2.3"].map(parseNumber)).toEqual(Array(6).fill(undefined))
  })

  it("treats a first row of numbers as data and skips columns with text", () => {
    const table: Table = { page: 2, columns: 3, rows: [["1", "x", "2.5"], ["3", "y", ""], ["5", "7", "0.5"]] }
    expect(tableStats([table]).tables[0]).toEqual({
      page: 2,
      rows: 3,
      columns: 3,
      header: null,
      numericColumns: [
        { column: "column 1", index: 0, values: 3, sum: 9, mean: 3, min: 1, max: 5 },
        { column: "column 3", index: 2, values: 2, sum: 3, mean: 1.5, min: 0.5, max: 2.5 }
      ]
    })
  })
})
