import { runLocal, TaskError, type Worker } from "@pipeweave/sdk"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { extractTables } from "../src/extractTables.js"
import { memoPath, memoUrl, quarterlyReportPath, quarterlyReportUrl } from "../src/samples.js"
import { summarize } from "../src/summarize.js"
import { makePdfWorker, taskOptions, type TablesOutput, type TextOutput } from "../src/worker.js"

const secretKey = "5f".repeat(32)
const report = await readFile(quarterlyReportPath)
const memo = await readFile(memoPath)

let tempDir = ""
let worker: Worker
beforeAll(async () => {
  tempDir = await mkdtemp(join(tmpdir(), "pdf-worker-"))
  worker = makePdfWorker({ orchestratorUrl: "http://127.0.0.1:1", secretKey, tempDir, silent: true })
})
afterAll(async () => {
  await worker.stop()
  await rm(tempDir, { recursive: true, force: true })
})

describe("download", () => {
  it("downloads, stores the pdf-file asset, counts pages and selects both branches by default", async () => {
    expect(await runLocal(worker, "download", { input: { pdfUrl: quarterlyReportUrl } })).toEqual({
      output: { sizeBytes: report.length, pages: 2 },
      runNext: ["extract-text", "extract-tables"]
    })
  })

  it("skips extract-tables when extractTables is false", async () => {
    expect(await runLocal(worker, "download", { input: { pdfUrl: memoUrl, extractTables: false } })).toEqual({
      output: { sizeBytes: memo.length, pages: 1 },
      runNext: ["extract-text"]
    })
  })

  it("fails a missing file with a non-retryable DOWNLOAD_ERROR", async () => {
    const attempt = runLocal(worker, "download", { input: { pdfUrl: `${memoUrl}.missing` } })
    await expect(attempt).rejects.toBeInstanceOf(TaskError)
    await expect(attempt).rejects.toMatchObject({ code: "DOWNLOAD_ERROR", retryable: false })
  })

  it("fails bad input with a non-retryable INVALID_INPUT", async () => {
    for (const input of [{}, { pdfUrl: 42 }, { pdfUrl: memoUrl, extractTables: "yes" }]) {
      await expect(runLocal(worker, "download", { input })).rejects.toMatchObject({
        code: "INVALID_INPUT",
        retryable: false
      })
    }
  })

  it("keys idempotency on the code version and the URL", () => {
    expect(taskOptions.download.idempotencyKey({ pdfUrl: "https://example.com/doc.pdf" }, 3)).toBe(
      "v3-download-https://example.com/doc.pdf"
    )
  })
})

describe("extract-text and extract-tables", () => {
  it("extract-text reads the pdf-file asset", async () => {
    const output: TextOutput = await runLocal(worker, "extract-text", { input: {}, assets: { "pdf-file": report } })
    expect(output.pages).toBe(2)
    expect(output.wordCount).toBe(289)
    expect(output.text).toContain("Northwind Instruments closed the third quarter of 2024")
  })

  it("extract-tables finds the revenue table, and none in the memo", async () => {
    const output: TablesOutput = await runLocal(worker, "extract-tables", { input: {}, assets: { "pdf-file": report } })
    expect(output.count).toBe(1)
    expect(output.tables[0]?.rows[0]).toEqual(["Region", "Q1", "Q2", "Q3"])
    expect(await runLocal(worker, "extract-tables", { input: {}, assets: { "pdf-file": memo } })).toEqual({
      tables: [],
      count: 0
    })
  })

  it("fails a pdf-file asset that is not a PDF with a non-retryable INVALID_PDF", async () => {
    const assets = { "pdf-file": Buffer.from("%PDF-1.4 junk") }
    const attempt = runLocal(worker, "extract-text", { input: {}, assets })
    await expect(attempt).rejects.toMatchObject({ code: "INVALID_PDF", retryable: false })
  })
})

describe("summarize", () => {
  const text = async (bytes: Buffer): Promise<TextOutput> =>
    runLocal(worker, "extract-text", { input: {}, assets: { "pdf-file": bytes } })

  it("summarizes the text and the tables when both branches ran", async () => {
    const upstream = {
      "extract-text": await text(report),
      "extract-tables": { tables: await extractTables(report), count: 1 }
    }
    const summary = await runLocal(worker, "summarize", { input: {}, upstream })
    expect(summary).toEqual(summarize(upstream["extract-text"].text, upstream["extract-tables"].tables))
    expect(summary.tablesIncluded).toBe(true)
    expect(summary.tables.tables[0].numericColumns).toHaveLength(3)
  })

  it("summarizes the text alone when extract-tables was skipped", async () => {
    const summary = await runLocal(worker, "summarize", { input: {}, upstream: { "extract-text": await text(memo) } })
    expect(summary.tablesIncluded).toBe(false)
    expect(summary.tables).toBeUndefined()
    expect(summary.sentences).toHaveLength(3)
    expect(summary.keywords[0]).toEqual({ word: "move", count: 4 })
  })

  it("fails without extract-text upstream", async () => {
    await expect(runLocal(worker, "summarize", { input: {}, upstream: {} })).rejects.toMatchObject({
      code: "MISSING_UPSTREAM",
      retryable: false
    })
  })
})

describe("registration", () => {
  it("registers exactly the spec's four tasks with their options, and the pdf-processing pipeline", async () => {
    const bodies: Array<any> = []
    const orchestrator = createServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        if (request.url !== "/api/register") {
          response.writeHead(204).end()
          return
        }
        const parsed = JSON.parse(body)
        bodies.push(parsed)
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
          serviceId: parsed.serviceId,
          version: parsed.version,
          tasks: parsed.tasks.map((t: any) => ({ taskId: t.id, codeHash: t.codeHash, codeVersion: 1 })),
          codeChanges: [],
          orphansCancelled: []
        }))
      })
    })
    await new Promise<void>((resolve) => orchestrator.listen(0, "127.0.0.1", resolve))
    const { port } = orchestrator.address() as AddressInfo
    const listening = makePdfWorker({ orchestratorUrl: `http://127.0.0.1:${port}`, secretKey, tempDir, silent: true })
    try {
      await listening.listen(0, "127.0.0.1")
    } finally {
      await listening.stop()
      await new Promise((resolve) => orchestrator.close(resolve))
    }
    const [registration] = bodies
    expect(registration).toMatchObject({
      serviceId: "pdf-processor",
      version: "1.0.0",
      pipelines: [{ id: "pdf-processing", entry: ["download"] }]
    })
    const tasks = Object.fromEntries(registration.tasks.map((t: any) => [t.id, t]))
    expect(Object.keys(tasks)).toEqual(["download", "extract-text", "extract-tables", "summarize"])
    expect(tasks["download"]).toMatchObject({
      allowedNext: ["extract-text", "extract-tables"],
      timeout: 120,
      heartbeatIntervalMs: 30000,
      hasIdempotencyKey: true
    })
    const toSummarize = { allowedNext: ["summarize"], heartbeatIntervalMs: 60000 }
    expect(tasks["extract-text"]).toMatchObject({ ...toSummarize, concurrency: 0 })
    expect(tasks["extract-tables"]).toMatchObject({ ...toSummarize, concurrency: 2 })
    expect(tasks["summarize"]).toMatchObject({ allowedNext: [], hasIdempotencyKey: false })
  })
})
