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

/**
 * A pdf-lib document with fixed metadata and dates (so the bytes are deterministic) and a page
 * writer: title, heading, line, wrapped paragraph, table (first column left-aligned, the others
 * right-aligned at `numericEdges`), footer and vertical space, top to bottom on US Letter.
 */
export const newDocument = async (title: string) => {
  const doc = await PDFDocument.create({ updateMetadata: false })
  doc.setTitle(title)
  doc.setAuthor("PipeWeave examples")
  doc.setProducer("pdf-lib")
  doc.setCreationDate(fixedDate)
  doc.setModificationDate(fixedDate)
  const fonts = {
    regular: await doc.embedFont(StandardFonts.Helvetica),
    bold: await doc.embedFont(StandardFonts.HelveticaBold)
  }
  return { doc, newPage: () => makeWriter(doc.addPage(pageSize), fonts) }
}
