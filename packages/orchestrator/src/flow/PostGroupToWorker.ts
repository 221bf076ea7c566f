import type { HttpAgent } from "@effect/platform-node/NodeHttpClient"
import { Effect, type Scope, Stream } from "effect"
import { type IncomingMessage, request } from "node:http"
import { request as requestTls } from "node:https"

/** Why a grouped dispatch's exchange ended without its whole answer (`transportReply` classifies it). */
export interface GroupExchangeError {
  readonly _tag: "RequestError" | "ResponseError"
  readonly message: string
  readonly cause: unknown
}

/** A grouped dispatch's answer: its status, and its body as it arrives. */
export interface GroupAnswer {
  readonly status: number
  readonly body: Stream.Stream<Uint8Array, GroupExchangeError>
}

/**
 * POSTs a grouped dispatch's JSON `body` with Node's own client through the dispatch client's
 * kept-alive agents, for untraced dispatches (a traced one goes through `HttpClient`, which opens
 * the client span and passes the trace on): `HttpClient`'s per-request machinery (request object,
 * URL, abort signal and the `DOMException` of its abort when the scope closes, fibers) cost more
 * than the rest of a group's exchange. Answers once the status has come; the body is read as it
 * arrives. A transport error before that fails with a `RequestError`; one while the body is read
 * fails the body with a `ResponseError`. The request is destroyed when the scope closes before the
 * answer was read to its end (interrupted at the group's deadline, or not read).
 */
export const postGroupToWorker = (
  agents: HttpAgent,
  url: string,
  body: string
): Effect.Effect<GroupAnswer, GroupExchangeError, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.async<IncomingMessage, GroupExchangeError>((resume) => {
        let answered = false
        const tls = url.startsWith("https:")
        const outgoing = (tls ? requestTls : request)(url, {
          method: "POST",
          agent: tls ? agents.https : agents.http,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
        }, (response) => {
          answered = true
          // Until the body is read, an error on it (the connection reset) is left for the reader,
          // which finds the response errored, rather than thrown for want of a listener.
          response.on("error", () => {})
          resume(Effect.succeed(response))
        })
        outgoing.on("error", (cause) => {
          if (answered) return
          answered = true
          resume(Effect.fail({ _tag: "RequestError", message: `Transport error (POST ${url})`, cause }))
        })
        outgoing.end(body)
        return Effect.sync(() => {
          answered = true
          outgoing.destroy()
        })
      }),
      (response) => Effect.sync(() => {
        if (!response.complete) response.destroy()
      })
    ),
    (response): GroupAnswer => ({
      status: response.statusCode ?? 0,
      body: Stream.fromAsyncIterable(
        response as AsyncIterable<Uint8Array>,
        (cause): GroupExchangeError => ({ _tag: "ResponseError", message: `answer of POST ${url} cut off`, cause })
      )
    })
  )

/** The first `keptBytes` of an answer's text; the rest is read and dropped. */
export const keptText = <E>(body: Stream.Stream<Uint8Array, E>, keptBytes: number): Effect.Effect<string, E> =>
  Effect.map(
    Stream.runFold(body, { chunks: [] as Array<Uint8Array>, kept: 0 }, (acc, chunk) => {
      if (acc.kept < keptBytes) {
        acc.chunks.push(chunk)
        acc.kept += chunk.length
      }
      return acc
    }),
    ({ chunks }) => Buffer.concat(chunks).toString("utf8")
  )
