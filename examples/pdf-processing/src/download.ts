import { TaskError } from "@pipeweave/sdk"
import { readFile } from "node:fs/promises"
import { fileURLToPath } from "node:url"

/** Options of `downloadPdf`. */
export interface DownloadOptions {
  /** Aborts the request (pass `ctx.signal`); the abort reason is rethrown as is. */
  readonly signal?: AbortSignal | undefined
  /** Largest accepted size; default 100 MiB. */
  readonly maxBytes?: number | undefined
}

const permanentFileErrors = new Set(["ENOENT", "ENOTDIR", "EISDIR", "EACCES", "EPERM"])

const errorCode = (error: unknown): string | undefined => {
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    if ("code" in cause && typeof cause.code === "string") return cause.code
  }
  return undefined
}

const reasonOf = (error: unknown): string => {
  const code = errorCode(error)
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error
  const message = inner instanceof Error ? inner.message : String(inner)
  return code === undefined || message.includes(code) ? message : `${code} ${message}`
}

const tooLarge = (url: string, size: number, maxBytes: number) =>
  new TaskError(`${url} is ${size} bytes, more than the ${maxBytes} allowed`, {
    code: "DOWNLOAD_ERROR",
    retryable: false,
    details: { url, size, maxBytes }
  })

const fetchHttp = async (url: string, options: DownloadOptions, maxBytes: number): Promise<Buffer> => {
  const network = (error: unknown) => {
    if (options.signal?.aborted) return options.signal.reason
    const code = errorCode(error)
    return new TaskError(`cannot download ${url}: ${reasonOf(error)}`, {
      code: "NETWORK_ERROR",
      retryable: true,
      details: { url, ...(code === undefined ? {} : { cause: code }) }
    })
  }
  const guarded = async <A>(step: () => Promise<A>): Promise<A> => {
    try {
      return await step()
    } catch (error) {
      throw network(error)
    }
  }
  const response = await guarded(() => fetch(url, options.signal === undefined ? {} : { signal: options.signal }))
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined)
    const { status } = response
    throw new TaskError(`GET ${url} answered ${status} ${response.statusText}`.trim(), {
      code: "DOWNLOAD_ERROR",
      retryable: status >= 500 || status === 408 || status === 429,
      details: { url, status }
    })
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN)
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined)
    throw tooLarge(url, declared, maxBytes)
  }
  const body = Buffer.from(await guarded(() => response.arrayBuffer()))
  if (body.length > maxBytes) throw tooLarge(url, body.length, maxBytes)
  return body
}

const readLocal = async (url: string): Promise<Buffer> => {
  try {
    return await readFile(fileURLToPath(url))
  } catch (error) {
    const code = errorCode(error)
    throw new TaskError(`cannot read ${url}: ${reasonOf(error)}`, {
      code: "DOWNLOAD_ERROR",
      retryable: code === undefined || !permanentFileErrors.has(code),
      details: { url, ...(code === undefined ? {} : { cause: code }) }
    })
  }
}

/**
 * Fetches a PDF from an `http(s)://` or `file://` URL and checks that it starts with `%PDF-`.
 * Rejects with a `TaskError`: `NETWORK_ERROR` (retryable) when the host cannot be reached or the
 * connection drops; `DOWNLOAD_ERROR` for an HTTP error status (retryable only for 5xx, 408 and
 * 429, so a 404 is final), a missing or unreadable file (`ENOENT`, `EACCES`… are final) or a body
 * over `maxBytes`; `INVALID_INPUT` for another URL scheme; `INVALID_PDF` when the bytes are not a PDF.
 */
export const downloadPdf = async (url: string, options: DownloadOptions = {}): Promise<Buffer> => {
  const maxBytes = options.maxBytes ?? 100 * 1024 * 1024
  const protocol = URL.canParse(url) ? new URL(url).protocol : undefined
  const bytes = protocol === "http:" || protocol === "https:"
    ? await fetchHttp(url, options, maxBytes)
    : protocol === "file:"
    ? await readLocal(url)
    : undefined
  if (bytes === undefined) {
    throw new TaskError(`pdfUrl must be an http(s):// or file:// URL, got ${JSON.stringify(url)}`, {
      code: "INVALID_INPUT",
      retryable: false
    })
  }
  if (bytes.length > maxBytes) throw tooLarge(url, bytes.length, maxBytes)
  if (bytes.subarray(0, 5).toString("latin1") !== "%PDF-") {
    throw new TaskError(`${url} is not a PDF (it does not start with %PDF-)`, {
      code: "INVALID_PDF",
      retryable: false,
      details: { url, size: bytes.length, start: bytes.subarray(0, 16).toString("latin1") }
    })
  }
  return bytes
}
