import { createWorker, TaskError, type TaskOptions, type TaskResult, type Worker } from "@pipeweave/sdk"
import { downloadPdf } from "./download.js"
import { extractTables, type Table } from "./extractTables.js"
import { extractText } from "./extractText.js"
import { withPdf } from "./openPdf.js"
import { countWords, type Summary, summarize } from "./summarize.js"

/** Input of the `download` task, i.e. of the `pdf-processing` pipeline. */
export interface PdfInput {
  /** `http(s)://` or `file://` URL of the PDF. */
  readonly pdfUrl: string
  /** Also run `extract-tables`; default `true`. */
  readonly extractTables?: boolean | undefined
}

/** Output of `download`; the bytes themselves are the `pdf-file` asset. */
export interface DownloadOutput {
  readonly sizeBytes: number
  readonly pages: number
}

/** Output of `extract-text`. */
export interface TextOutput {
  readonly text: string
  readonly wordCount: number
  readonly pages: number
}

/** Output of `extract-tables`. */
export interface TablesOutput {
  readonly tables: ReadonlyArray<Table>
  readonly count: number
}

/** Configuration of `makePdfWorker`; the rest of `createWorker`'s options keep their defaults. */
export interface PdfWorkerConfig {
  readonly orchestratorUrl: string
  readonly secretKey: string
  readonly baseUrl?: string
  readonly silent?: boolean
  readonly tempDir?: string
}

const readInput = (input: unknown): { readonly pdfUrl: string; readonly extractTables: boolean } => {
  const { pdfUrl, extractTables = true } = (input ?? {}) as Partial<Record<keyof PdfInput, unknown>>
  if (typeof pdfUrl !== "string" || typeof extractTables !== "boolean") {
    throw new TaskError("input must be { pdfUrl: string, extractTables?: boolean }", {
      code: "INVALID_INPUT",
      retryable: false,
      details: { input }
    })
  }
  return { pdfUrl, extractTables }
}

/** The options of the four tasks, as the spec's example declares them. */
export const taskOptions = {
  download: {
    allowedNext: ["extract-text", "extract-tables"],
    timeout: 120,
    heartbeatIntervalMs: 30000,
    idempotencyKey: (input, codeVersion) => `v${codeVersion}-download-${input.pdfUrl}`
  } satisfies TaskOptions<PdfInput>,
  "extract-text": { allowedNext: ["summarize"], heartbeatIntervalMs: 60000 } satisfies TaskOptions,
  "extract-tables": { allowedNext: ["summarize"], concurrency: 2, heartbeatIntervalMs: 60000 } satisfies TaskOptions,
  summarize: {} satisfies TaskOptions
} as const

const download = async (pdfUrl: string, signal: AbortSignal) => {
  try {
    const buffer = await downloadPdf(pdfUrl, { signal })
    return { buffer, pages: await withPdf(buffer, async (pdf) => pdf.pages) }
  } catch (error) {
    if (signal.aborted || error instanceof TaskError || !(error instanceof Error)) throw error
    throw new TaskError(error.message, { code: "DOWNLOAD_ERROR" })
  }
}

/**
 * The spec's PDF pipeline as a worker (service `pdf-processor` 1.0.0): `download` →
 * `extract-text` and, unless `extractTables: false`, `extract-tables` → `summarize`, declared
 * as the pipeline `pdf-processing`.
 */
export const makePdfWorker = (config: PdfWorkerConfig): Worker => {
  const worker = createWorker({ serviceId: "pdf-processor", version: "1.0.0", ...config })

  worker.register<PdfInput, DownloadOutput>(
    "download",
    taskOptions.download,
    async (ctx): Promise<TaskResult<DownloadOutput>> => {
      const { extractTables, pdfUrl } = readInput(ctx.input)
      ctx.log.info(`Running download v${ctx.codeVersion} (${ctx.codeHash})`)
      if (ctx.previousAttempts.some((attempt) => attempt.errorCode === "NETWORK_ERROR")) {
        ctx.log.info("Retrying after a network error", { attempt: ctx.attempt })
      }
      const { buffer, pages } = await download(pdfUrl, ctx.signal)
      await ctx.addAsset("pdf-file", "binary", buffer)
      ctx.log.info(`Downloaded ${buffer.length} bytes, ${pages} page(s)`, { pdfUrl })
      const output = { sizeBytes: buffer.length, pages }
      return { output, runNext: extractTables ? ["extract-text", "extract-tables"] : ["extract-text"] }
    }
  )

  worker.register<unknown, TextOutput>(
    "extract-text",
    taskOptions["extract-text"],
    async (ctx) => {
      const pdf = await ctx.getAsset<Buffer>("pdf-file")
      const { pages, text } = await extractText(pdf)
      const wordCount = countWords(text)
      ctx.log.info(`Extracted ${wordCount} words from ${pages} page(s)`)
      return { text, wordCount, pages }
    }
  )

  worker.register<unknown, TablesOutput>(
    "extract-tables",
    taskOptions["extract-tables"],
    async (ctx) => {
      const pdf = await ctx.getAsset<Buffer>("pdf-file")
      const tables = await extractTables(
        pdf,
        (page, pages) => ctx.progress(Math.round((page / pages) * 100), `page ${page} of ${pages}`)
      )
      ctx.log.info(`Found ${tables.length} table(s)`)
      return { tables, count: tables.length }
    }
  )

  worker.register<unknown, Summary>("summarize", taskOptions.summarize, async (ctx) => {
    const text = ctx.upstream["extract-text"] as Partial<TextOutput> | undefined
    const tables = ctx.upstream["extract-tables"] as Partial<TablesOutput> | undefined
    if (typeof text?.text !== "string") {
      throw new TaskError("summarize needs the output of extract-text upstream", {
        code: "MISSING_UPSTREAM",
        retryable: false,
        details: { upstream: Object.keys(ctx.upstream) }
      })
    }
    const summary = summarize(text.text, tables?.tables)
    ctx.log.info(`Summarized ${summary.wordCount} words${summary.tablesIncluded ? " and the tables" : ""}`)
    return summary
  })

  worker.pipeline("pdf-processing", {
    entry: ["download"],
    description: "Download a PDF, extract its text and (optionally) its tables, then summarize them"
  })
  return worker
}
