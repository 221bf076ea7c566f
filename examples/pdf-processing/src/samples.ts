import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const samplesDir = fileURLToPath(
  new URL(import.meta.url.endsWith(".ts") ? "../samples/" : "../../samples/", import.meta.url)
)

/** Absolute path of `samples/quarterly-report.pdf`: 2 pages of prose with a region × Q1–Q3 revenue table on page 1. */
export const quarterlyReportPath: string = join(samplesDir, "quarterly-report.pdf")

/** `file://` URL of `quarterly-report.pdf`, usable as the pipeline's `pdfUrl`. */
export const quarterlyReportUrl: string = pathToFileURL(quarterlyReportPath).href

/** Absolute path of `samples/memo.pdf`: 1 page of prose, no table. */
export const memoPath: string = join(samplesDir, "memo.pdf")

/** `file://` URL of `memo.pdf`, usable as the pipeline's `pdfUrl`. */
export const memoUrl: string = pathToFileURL(memoPath).href
