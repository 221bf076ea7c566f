import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { ServerResponse } from "node:http"
import type { Readable } from "node:stream"

/** What a dispatch route answers: JSON with a status, or the NDJSON lines of a grouped dispatch. */
export type DispatchReply =
  | {
    readonly _tag: "Json"
    readonly status: number
    readonly body: unknown
    readonly headers?: Record<string, string> | undefined
  }
  | { readonly _tag: "Lines"; readonly lines: Readable }

export const jsonReply = (status: number, body: unknown, headers?: Record<string, string>): DispatchReply => ({
  _tag: "Json",
  status,
  body,
  headers
})

const NDJSON = "application/x-ndjson"

/** The reply as the platform's server response (the routes served by the Effect router). */
export const toServerResponse = (reply: DispatchReply): HttpServerResponse.HttpServerResponse =>
  reply._tag === "Lines"
    ? HttpServerResponse.raw(reply.lines, { contentType: NDJSON })
    : HttpServerResponse.unsafeJson(reply.body, { status: reply.status, ...(reply.headers === undefined ? {} : { headers: reply.headers }) })

/** Writes the reply to Node's response (the routes served directly); the same status, headers and body. */
export const writeReply = (reply: DispatchReply, response: ServerResponse): void => {
  if (reply._tag === "Lines") {
    response.writeHead(200, { "content-type": NDJSON })
    reply.lines.pipe(response)
    return
  }
  const text = JSON.stringify(reply.body)
  const headers: Record<string, string | number> = { ...reply.headers }
  headers["content-type"] = "application/json"
  headers["content-length"] = Buffer.byteLength(text)
  response.writeHead(reply.status, headers)
  response.end(text)
}
