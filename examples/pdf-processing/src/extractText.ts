import { groupRows, type Row } from "./groupRows.js"
import { withPdf } from "./openPdf.js"

/** The text of a PDF: pages joined by form feeds (`\f`), paragraphs by blank lines. */
export interface ExtractedText {
  readonly text: string
  readonly pages: number
  readonly pageTexts: ReadonlyArray<string>
}

const rowText = (row: Row): string => {
  let text = ""
  let end: number | undefined
  for (const item of row.items) {
    const gap = end === undefined ? 0 : item.x - end
    const glue = end === undefined || /\s$/.test(text) || /^\s/.test(item.text) || gap < 0.1 * item.height ? "" : " "
    text += glue + item.text
    end = item.x + item.width
  }
  return text.replace(/\s+/g, " ").trim()
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((p, q) => p - q)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}

/**
 * Lays out one page's rows as lines. A new paragraph (a blank line) starts where the gap between
 * baselines exceeds 1.35 × the page's median line pitch or the text height changes by over 5%.
 */
export const pageText = (rows: ReadonlyArray<Row>): string => {
  const pitches = rows.slice(1).map((row, i) => rows[i]!.y - row.y)
  const paragraphGap = 1.35 * median(pitches)
  const startsParagraph = (row: Row, i: number): boolean => {
    const above = rows[i - 1]
    if (above === undefined) return false
    const heightChange = Math.abs(above.height - row.height) / Math.max(above.height, row.height)
    return above.y - row.y > paragraphGap || heightChange > 0.05
  }
  return rows.map((row, i) => (startsParagraph(row, i) ? "\n" : "") + rowText(row)).join("\n")
}

/** Extracts the text of every page of a PDF, reading rows top to bottom by baseline. */
export const extractText = (bytes: Uint8Array): Promise<ExtractedText> =>
  withPdf(bytes, async (pdf) => {
    const pageTexts: Array<string> = []
    for (let page = 1; page <= pdf.pages; page++) pageTexts.push(pageText(groupRows(await pdf.textItems(page))))
    return { text: pageTexts.join("\n\f\n"), pages: pdf.pages, pageTexts }
  })
