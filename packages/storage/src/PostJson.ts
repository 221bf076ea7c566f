import { type Agent, request } from "node:http"
import { type Agent as TlsAgent, request as requestTls } from "node:https"
import { Effect } from "effect"
import { requestTarget } from "./RequestTarget.js"

/** The kept-alive agents a POST goes through (what `@effect/platform-node`'s `HttpAgent` holds). */
export interface PostAgents {
  readonly http: Agent
  readonly https: TlsAgent
}

/**
 * How a POST ended: answered (its status and the first `keptBytes` of its text; the rest is read
 * and dropped, so the connection goes back to the pool), failed before any answer (`error`, as
 * Node's client raised it), lost while the answer's body was being read (its status had come), or
 * not answered in full within its deadline (the request was then destroyed).
 */
export type PostReply =
  | { readonly _tag: "Answered"; readonly status: number; readonly text: string }
  | { readonly _tag: "Failed"; readonly error: Error }
  | { readonly _tag: "Lost"; readonly status: number }
  | { readonly _tag: "TimedOut" }

/** Node's longest timer; a deadline further off is not set at all (as Effect's clock does not). */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * POSTs a JSON `body` with Node's own client through `agents`, for calls on a hot path whose
 * caller opens no span: `HttpClient`'s per-request machinery (URL object, abort signal, span
 * checks, two fibers) cost half a millisecond per call. Interrupted, the request is destroyed.
 * `timeoutMs` bounds the whole exchange with Node's timer, as a socket timeout would be (wall-clock
 * time, not the fiber's `Clock`): `Effect.timeout` forks two fibers per call to race a sleep, which
 * this path, taken by every dispatch and callback, cannot afford.
 * (Here rather than in `@pipeweave/domain`, which must bundle for a browser: this is the Node
 * package the orchestrator and the SDK both run on.)
 */
export const postJson = (
  agents: PostAgents,
  url: string,
  body: string,
  options: { readonly headers?: Record<string, string>; readonly keptBytes: number; readonly timeoutMs: number }
): Effect.Effect<PostReply> =>
  Effect.async<PostReply>((resume) => {
    let settled = false
    let deadline: ReturnType<typeof setTimeout> | undefined
    const settle = (reply: PostReply) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      resume(Effect.succeed(reply))
    }
    const target = requestTarget(url)
    const tls = target.protocol === "https:"
    const headers: Record<string, string | number> = { ...options.headers }
    headers["content-type"] = "application/json"
    headers["content-length"] = Buffer.byteLength(body)
    const init = { method: "POST", agent: tls ? agents.https : agents.http, headers, ...target }
    const outgoing = (tls ? requestTls : request)(init, (response) => {
      const chunks: Array<Buffer> = []
      let kept = 0
      response.on("data", (chunk: Buffer) => {
        if (kept >= options.keptBytes) return
        chunks.push(chunk)
        kept += chunk.length
      })
      response.once("end", () =>
        settle({ _tag: "Answered", status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }))
      response.on("error", () => settle({ _tag: "Lost", status: response.statusCode ?? 0 }))
    })
    outgoing.on("error", (error) => settle({ _tag: "Failed", error }))
    outgoing.end(body)
    if (options.timeoutMs <= MAX_TIMER_MS) {
      deadline = setTimeout(() => {
        settle({ _tag: "TimedOut" })
        outgoing.destroy()
      }, options.timeoutMs)
    }
    return Effect.sync(() => {
      settled = true
      clearTimeout(deadline)
      outgoing.destroy()
    })
  })
