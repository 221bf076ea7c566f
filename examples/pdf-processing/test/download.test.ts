import { TaskError } from "@pipeweave/sdk"
import { readFile } from "node:fs/promises"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { pathToFileURL } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { downloadPdf } from "../src/download.js"
import { memoPath, memoUrl, quarterlyReportPath, quarterlyReportUrl } from "../src/samples.js"

const report = await readFile(quarterlyReportPath)

const listening = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  )

const closed = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))

const rejection = async (promise: Promise<unknown>): Promise<TaskError> => {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(TaskError)
  return error as TaskError
}

describe("downloadPdf over http", () => {
  const requests: Array<string> = []
  const server = createServer((request, response) => {
    requests.push(request.url ?? "")
    if (request.url === "/report.pdf") {
      response.writeHead(200, { "content-type": "application/pdf" }).end(report)
    } else if (request.url === "/page.html") {
      response.writeHead(200, { "content-type": "text/html" }).end("<html>not a pdf</html>")
    } else if (request.url === "/broken") {
      response.writeHead(503).end("try later")
    } else if (request.url === "/cut") {
      response.writeHead(200, { "content-length": "100000" }).write("%PDF-1.7 partial", () => response.destroy())
    } else {
      response.writeHead(404).end("not found")
    }
  })
  let base = ""
  beforeAll(async () => {
    base = await listening(server)
  })
  afterAll(() => closed(server))

  it("downloads the bytes of a PDF", async () => {
    const bytes = await downloadPdf(`${base}/report.pdf`)
    expect(bytes.equals(report)).toBe(true)
    expect(requests).toContain("/report.pdf")
  })

  it("fails a 404 with a non-retryable DOWNLOAD_ERROR", async () => {
    const error = await rejection(downloadPdf(`${base}/missing.pdf`))
    expect(error).toMatchObject({ code: "DOWNLOAD_ERROR", retryable: false, details: { status: 404 } })
    expect(error.message).toContain("404")
  })

  it("fails a 503 with a retryable DOWNLOAD_ERROR", async () => {
    expect(await rejection(downloadPdf(`${base}/broken`))).toMatchObject({ code: "DOWNLOAD_ERROR", retryable: true })
  })

  it("fails a body that is not a PDF with a non-retryable INVALID_PDF", async () => {
    const error = await rejection(downloadPdf(`${base}/page.html`))
    expect(error).toMatchObject({ code: "INVALID_PDF", retryable: false })
    expect(error.message).toContain("%PDF-")
  })

  it("fails a connection cut mid-body with a retryable NETWORK_ERROR", async () => {
    expect(await rejection(downloadPdf(`${base}/cut`))).toMatchObject({ code: "NETWORK_ERROR", retryable: true })
  })

  it("fails a body over maxBytes with a non-retryable DOWNLOAD_ERROR", async () => {
    const error = await rejection(downloadPdf(`${base}/report.pdf`, { maxBytes: 1000 }))
    expect(error).toMatchObject({ code: "DOWNLOAD_ERROR", retryable: false, details: { size: report.length } })
  })

  it("rethrows the abort reason when the signal aborts", async () => {
    const reason = new Error("cancelled by the test")
    await expect(downloadPdf(`${base}/report.pdf`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })
})

describe("downloadPdf, other failures", () => {
  it("fails a refused connection with a retryable NETWORK_ERROR naming the cause", async () => {
    const server = createServer()
    const base = await listening(server)
    await closed(server)
    const error = await rejection(downloadPdf(`${base}/report.pdf`))
    expect(error).toMatchObject({ code: "NETWORK_ERROR", retryable: true, details: { cause: "ECONNREFUSED" } })
  })

  it("reads file:// URLs", async () => {
    expect((await downloadPdf(quarterlyReportUrl)).equals(report)).toBe(true)
    expect((await downloadPdf(memoUrl)).equals(await readFile(memoPath))).toBe(true)
  })

  it("fails a missing file with a non-retryable DOWNLOAD_ERROR (ENOENT)", async () => {
    const error = await rejection(downloadPdf(pathToFileURL("/nonexistent/dir/file.pdf").href))
    expect(error).toMatchObject({ code: "DOWNLOAD_ERROR", retryable: false, details: { cause: "ENOENT" } })
  })

  it("fails a local file that is not a PDF with INVALID_PDF", async () => {
    const error = await rejection(downloadPdf(pathToFileURL(new URL(import.meta.url).pathname).href))
    expect(error).toMatchObject({ code: "INVALID_PDF", retryable: false })
  })

  it("fails other URLs with a non-retryable INVALID_INPUT", async () => {
    for (const url of ["ftp://example.com/a.pdf", "not a url", ""]) {
      expect(await rejection(downloadPdf(url))).toMatchObject({ code: "INVALID_INPUT", retryable: false })
    }
  })
})
