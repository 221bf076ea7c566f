/**
 * Generates the sample PDFs in `samples/` with pdf-lib and the standard Helvetica fonts (not
 * embedded, so each file stays a few KB). The output is byte-for-byte deterministic; run
 * `tsx examples/pdf-processing/scripts/makeSamples.ts` after changing the content.
 */
import { writeFile } from "node:fs/promises"
import { newDocument } from "./pdfWriter.js"

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
