import { type Agent, request } from "node:http"
import { request as requestTls } from "node:https"
import type { HttpAgent } from "@effect/platform-node/NodeHttpClient"
import { Effect } from "effect"
import { transportReply, type WorkerReply } from "./WorkerAnswer.js"

/** How much of an answer is kept: a dispatch's answer is an ack, or an error excerpted to 120 characters; the rest is read and dropped. */
const ANSWER_KEPT_BYTES = 64 * 1024

/**
 * POSTs a JSON `body` to a worker through the dispatch client's kept-alive agents and reads the
 * answer's text, as a `WorkerReply` (a transport error classified as the HTTP client's would be).
 * Node's own client, without `HttpClient`'s per-request machinery (URL object, abort signal,
 * span checks, two fibers): a single dispatch's request left 0.6 ms after its payload was built.
 * For untraced dispatches only; a traced one goes through `HttpClient`, which opens the client span
 * and passes the trace on. Interrupted, the request is destroyed.
 */
export const postToWorker = (agents: HttpAgent, url: string, body: string): Effect.Effect<WorkerReply> =>
  Effect.async<WorkerReply>((resume) => {
    let settled = false
    const settle = (reply: WorkerReply) => {
      if (settled) return
      settled = true
      resume(Effect.succeed(reply))
    }
    const tls = url.startsWith("https:")
    const options = {
      method: "POST",
      agent: (tls ? agents.https : agents.http) as Agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
    }
    const outgoing = (tls ? requestTls : request)(url, options, (response) => {
      const chunks: Array<Buffer> = []
      let kept = 0
      response.on("data", (chunk: Buffer) => {
        if (kept >= ANSWER_KEPT_BYTES) return
        chunks.push(chunk)
        kept += chunk.length
      })
      response.once("end", () =>
        settle({ _tag: "Status", status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }))
      response.on("error", () => settle({ _tag: "Lost" }))
    })
    outgoing.on("error", (error) =>
      settle(transportReply({ _tag: "RequestError", message: `Transport error (POST ${url})`, cause: error })))
    outgoing.end(body)
    return Effect.sync(() => {
      settled = true
      outgoing.destroy()
    })
  })
