import { TaskError } from "@pipeweave/sdk"
import { loadPdfjs, pdfjsDataPaths } from "./loadPdfjs.js"

/** A run of text on a page in PDF user space: points, origin at the bottom left, `y` the baseline. */
export interface TextItem {
  readonly text: string
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

/** An open PDF: its page count and each page's text items in content order. */
export interface PdfFile {
  readonly pages: number
  readonly textItems: (page: number) => Promise<ReadonlyArray<TextItem>>
  readonly close: () => Promise<void>
}

const invalidPdf = (cause: unknown): TaskError => {
  const reason = cause instanceof Error ? cause.message : String(cause)
  const name = cause instanceof Error ? cause.name : undefined
  return new TaskError(`not a readable PDF: ${reason}`, {
    code: "INVALID_PDF",
    retryable: false,
    details: { reason, ...(name === undefined ? {} : { name }) }
  })
}

/**
 * Opens PDF bytes with pdfjs (a copy is handed over, `bytes` is left intact). Rejects with a
 * non-retryable `TaskError` coded `INVALID_PDF` when the bytes are not a PDF pdfjs can read
 * (damaged, encrypted with a password, empty).
 */
export const openPdf = async (bytes: Uint8Array): Promise<PdfFile> => {
  const pdfjs = await loadPdfjs()
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes),
    ...pdfjsDataPaths,
    cMapPacked: true,
    disableFontFace: true,
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: pdfjs.VerbosityLevel.ERRORS
  })
  const doc = await task.promise.catch(async (cause: unknown) => {
    await task.destroy()
    throw invalidPdf(cause)
  })
  return {
    pages: doc.numPages,
    textItems: async (pageNumber) => {
      const page = await doc.getPage(pageNumber)
      try {
        const content = await page.getTextContent()
        return content.items.flatMap((item) =>
          "str" in item && item.str.trim() !== ""
            ? [{
              text: item.str,
              x: item.transform[4],
              y: item.transform[5],
              width: item.width,
              height: item.height || Math.hypot(item.transform[2], item.transform[3])
            }]
            : []
        )
      } finally {
        page.cleanup()
      }
    },
    close: () => task.destroy()
  }
}

/** Opens the PDF, runs `use` on it and closes it, also when `use` throws. */
export const withPdf = async <A>(bytes: Uint8Array, use: (pdf: PdfFile) => Promise<A>): Promise<A> => {
  const pdf = await openPdf(bytes)
  try {
    return await use(pdf)
  } finally {
    await pdf.close()
  }
}
