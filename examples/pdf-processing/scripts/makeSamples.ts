/**
 * Generates the sample PDFs in `samples/` with pdf-lib and the standard Helvetica fonts (not
 * embedded, so each file stays a few KB). The output is byte-for-byte deterministic; run
 * `tsx examples/pdf-processing/scripts/makeSamples.ts` after changing the content.
 */
import { writeFile } from "node:fs/promises"
import { type PDFFont, PDFDocument, type PDFPage, StandardFonts } from "pdf-lib"

const pageSize: [number, number] = [612, 792]
const left = 72
const right = 540
const fixedDate = new Date("2024-10-15T09:00:00Z")

interface Fonts {
  readonly regular: PDFFont
  readonly bold: PDFFont
}

const wrap = (text: string, font: PDFFont, size: number, width: number): Array<string> => {
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(/\s+/)) {
    const candidate = line === "" ? word : `${line} ${word}`
    if (line !== "" && font.widthOfTextAtSize(candidate, size) > width) {
      lines.push(line)
      line = word
    } else {
      line = candidate
    }
  }
  if (line !== "") lines.push(line)
  return lines
}

const makeWriter = (page: PDFPage, fonts: Fonts) => {
  let y = 720
  const text = (value: string, x: number, font: PDFFont, size: number, at = y) =>
    page.drawText(value, { x, y: at, size, font })
  const rightAligned = (value: string, edge: number, font: PDFFont, size: number, at = y) =>
    text(value, edge - font.widthOfTextAtSize(value, size), font, size, at)
  return {
    title: (value: string) => {
      text(value, left, fonts.bold, 16)
      y -= 30
    },
    heading: (value: string) => {
      text(value, left, fonts.bold, 12)
      y -= 18
    },
    line: (value: string) => {
      text(value, left, fonts.regular, 11)
      y -= 15
    },
    paragraph: (value: string) => {
      for (const line of wrap(value, fonts.regular, 11, right - left)) {
        text(line, left, fonts.regular, 11)
        y -= 15
      }
      y -= 9
    },
    table: (rows: ReadonlyArray<ReadonlyArray<string>>, numericEdges: ReadonlyArray<number>) => {
      rows.forEach((row, index) => {
        const font = index === 0 ? fonts.bold : fonts.regular
        text(row[0] ?? "", left, font, 10)
        numericEdges.forEach((edge, column) => rightAligned(row[column + 1] ?? "", edge, font, 10))
        y -= 16
      })
      y -= 10
    },
    footer: (label: string, pageNumber: number, pages: number) => {
      text(label, left, fonts.regular, 9, 40)
      rightAligned(`Page ${pageNumber} of ${pages}`, right, fonts.regular, 9, 40)
    },
    space: (points: number) => {
      y -= points
    }
  }
}

const newDocument = async (title: string) => {
  const doc = await PDFDocument.create({ updateMetadata: false })
  doc.setTitle(title)
  doc.setAuthor("PipeWeave examples")
  doc.setProducer("pdf-lib")
  doc.setCreationDate(fixedDate)
  doc.setModificationDate(fixedDate)
  const fonts = { regular: await doc.embedFont(StandardFonts.Helvetica), bold: await doc.embedFont(StandardFonts.HelveticaBold) }
  return { doc, newPage: () => makeWriter(doc.addPage(pageSize), fonts) }
}

const revenueTable = [
  ["Region", "Q1", "Q2", "Q3"],
  ["North America", "4,120", "4,385", "4,702"],
  ["Europe", "3,045", "3,190", "3,318"],
  ["Asia Pacific", "2,380", "2,615", "2,904"],
  ["Latin America", "910", "968", "1,037"],
  ["Middle East and Africa", "540", "582", "611"]
]

const quarterlyReport = async (): Promise<Uint8Array> => {
  const { doc, newPage } = await newDocument("Northwind Instruments Quarterly Report Q3 2024")
  const footer = "Northwind Instruments - Q3 2024"
  const first = newPage()
  first.title("Northwind Instruments Quarterly Report: Q3 2024")
  first.paragraph(
    "Northwind Instruments closed the third quarter of 2024 with revenue of 12.6 million dollars, an increase of " +
      "7.1 percent over the second quarter. Growth came from every region, led by North America, where demand for " +
      "calibration services rose sharply after two large laboratory contracts were renewed. Gross margin improved " +
      "to 41 percent as the Rotterdam plant reached full capacity."
  )
  first.paragraph(
    "Revenue in Europe grew more slowly than in other regions because of a planned pause in distributor orders " +
      "during the summer. The pause ended in September, and the order backlog entering the fourth quarter is the " +
      "largest in the company's history. Asia Pacific remains the fastest growing region in relative terms."
  )
  first.heading("Revenue by region (thousands of US dollars)")
  first.table(revenueTable, [330, 420, 510])
  first.paragraph("All figures are unaudited and rounded to the nearest thousand dollars.")
  first.footer(footer, 1, 2)
  const second = newPage()
  second.heading("Outlook")
  second.paragraph(
    "For the fourth quarter, management expects revenue between 13.0 and 13.4 million dollars. The calibration " +
      "services business should continue to grow as laboratories replace older equipment, and the new spectrometer " +
      "line will ship to the first customers in November. Operating expenses will rise modestly because the company " +
      "is hiring field engineers in Europe and Asia Pacific."
  )
  second.heading("Risks")
  second.paragraph(
    "The main risks to the outlook are delays in component deliveries, currency movements between the euro and the " +
      "dollar, and slower approval of laboratory budgets in the public sector. Northwind keeps six weeks of critical " +
      "components in stock and hedges half of its expected euro revenue for the next two quarters."
  )
  second.footer(footer, 2, 2)
  return doc.save()
}

const memo = async (): Promise<Uint8Array> => {
  const { doc, newPage } = await newDocument("Memo: laboratory move")
  const page = newPage()
  page.title("MEMORANDUM")
  page.line("To: All engineering staff")
  page.line("From: Maria Lindqvist, Director of Operations")
  page.line("Date: October 14, 2024")
  page.line("Subject: Laboratory move to Building C")
  page.space(12)
  page.paragraph(
    "The calibration laboratory will move from Building A to the second floor of Building C during the week of " +
      "November 4. The new space has twice the bench area, a dedicated clean room, and better temperature control, " +
      "which the spectrometer team has requested for more than a year."
  )
  page.paragraph(
    "Please pack personal items and label every instrument with its asset number before Friday, November 1. The " +
      "facilities team will move the benches and the heavy equipment over the weekend. Network and power will be " +
      "tested on Monday morning, and the laboratory should be fully working again by Tuesday afternoon."
  )
  page.paragraph(
    "Customer calibration jobs scheduled for that week have been moved to the following week, and each customer " +
      "has been told. If you have questions about the move, contact the facilities desk or reply to this memo."
  )
  return doc.save()
}

/** The sample PDFs by file name. */
export const makeSamples = async (): Promise<Record<"quarterly-report.pdf" | "memo.pdf", Uint8Array>> => ({
  "quarterly-report.pdf": await quarterlyReport(),
  "memo.pdf": await memo()
})

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, bytes] of Object.entries(await makeSamples())) {
    const target = new URL(`../samples/${name}`, import.meta.url)
    await writeFile(target, bytes)
    console.log(`${target.pathname}: ${bytes.length} bytes`)
  }
}
