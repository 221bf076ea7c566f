import type { HttpAgent } from "@effect/platform-node/NodeHttpClient"
import { requestTarget } from "@pipeweave/storage/RequestTarget"
import { Effect, type Scope, Stream } from "effect"
import { type IncomingMessage, request } from "node:http"
import { request as requestTls } from "node:https"
import { lineSplitter, lineTooLong } from "./GroupedAnswer.js"

/** Why a grouped dispatch's exchange ended without its whole answer (`transportReply` classifies it). */
export interface GroupExchangeError {
  readonly _tag: "RequestError" | "ResponseError"
  readonly message: string
  readonly cause: unknown
}

/** A grouped dispatch's answer: its status, and its body as it arrives, read one way or the other. */
export interface GroupAnswer {
  readonly status: number
  /** The body's bytes. */
  readonly body: Stream.Stream<Uint8Array, GroupExchangeError>
  /**
   * The body's newline-delimited lines completed since the last call (waiting until there is at
   * least one), and `undefined` once the body has ended.
   */
  readonly nextLines: Effect.Effect<ReadonlyArray<string> | undefined, GroupExchangeError>
}

/**
 * Ends a grouped dispatch's exchange from outside it, without racing it against a timer in fibers
 * of its own (`Effect.timeout` forks two per call): its request is destroyed, whether its answer
 * has come or not. Does nothing before the request is made.
 */
export interface ExchangeCutter {
  cut: () => void
}

export const makeExchangeCutter = (): ExchangeCutter => ({ cut: () => {} })

/** `GroupAnswer.nextLines` over `response`, listening to it from the first call. */
const lineReader = (response: IncomingMessage, url: string) => {
  const lines = lineSplitter()
  let ready: Array<string> = []
  let ended = false
  let failure: GroupExchangeError | undefined
  let waiter: ((taken: Effect.Effect<ReadonlyArray<string> | undefined, GroupExchangeError>) => void) | undefined
  let listening = false
  const cutOff = (cause: unknown) => {
    failure ??= { _tag: "ResponseError", message: `answer of POST ${url} cut off`, cause }
  }
  const take = () => {
    if (failure !== undefined) return Effect.fail(failure)
    if (ready.length > 0) {
      const taken = ready
      ready = []
      return Effect.succeed(taken)
    }
    return ended ? Effect.succeed(undefined) : undefined
  }
  const wake = () => {
    const resume = waiter
    const taken = resume === undefined ? undefined : take()
    if (taken === undefined) return
    waiter = undefined
    resume!(taken)
  }
  const listen = () => {
    if (response.errored !== null || (response.destroyed && !response.complete)) cutOff(response.errored)
    response.on("data", (bytes: Uint8Array) => {
      if (failure !== undefined) return
      const completed = lines.push(bytes)
      if (lines.overlong()) {
        failure = lineTooLong(url)
        response.destroy()
        wake()
        return
      }
      if (completed.length === 0) return
      ready.push(...completed)
      wake()
    })
    response.on("end", () => {
      ready.push(...lines.end())
      ended = true
      wake()
    })
    response.on("error", (cause) => {
      cutOff(cause)
      wake()
    })
    response.on("close", () => {
      if (ended) return
      cutOff(new Error("connection closed before the answer ended"))
      wake()
    })
  }
  return Effect.suspend(() => {
    if (!listening) {
      listening = true
      listen()
    }
    return take() ?? Effect.async<ReadonlyArray<string> | undefined, GroupExchangeError>((resume) => {
      waiter = resume
    })
  })
}

/**
 * POSTs a grouped dispatch's JSON `body` with Node's own client through the dispatch client's
 * kept-alive agents, for untraced dispatches (a traced one goes through `HttpClient`, which opens
 * the client span and passes the trace on): `HttpClient`'s per-request machinery (request object,
 * URL, abort signal and the `DOMException` of its abort when the scope closes, fibers) cost more
 * than the rest of a group's exchange. Answers once the status has come; the body is read as it
 * arrives. A transport error before that fails with a `RequestError`; one while the body is read
 * fails the body with a `ResponseError`; its lines are read straight from Node's events (no stream
 * machinery: a group's answer is a handful of short lines; one longer than `MAX_ANSWER_LINE_CHARS`
 * cuts the answer off, as a lost connection). The request is destroyed when the scope closes before the
 * answer was read to its end (not read, or interrupted), and when `cutter.cut` is called (at the
 * group's last deadline): the exchange then fails as a lost connection would.
 */
export const postGroupToWorker = (
  agents: HttpAgent,
  url: string,
  body: string,
  cutter: ExchangeCutter
): Effect.Effect<GroupAnswer, GroupExchangeError, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.async<IncomingMessage, GroupExchangeError>((resume) => {
        let answered = false
        const target = requestTarget(url)
        const tls = target.protocol === "https:"
        const outgoing = (tls ? requestTls : request)({
          method: "POST",
          agent: tls ? agents.https : agents.http,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
          ...target
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
        cutter.cut = () => outgoing.destroy()
        return Effect.sync(() => {
          answered = true
          outgoing.destroy()
        })
      }),
      (response) => Effect.sync(() => {
        // Its socket may serve another request once the answer is read: nothing cuts it from now on.
        cutter.cut = () => {}
        if (!response.complete) response.destroy()
      })
    ),
    (response): GroupAnswer => ({
      status: response.statusCode ?? 0,
      body: Stream.fromAsyncIterable(
        response as AsyncIterable<Uint8Array>,
        (cause): GroupExchangeError => ({ _tag: "ResponseError", message: `answer of POST ${url} cut off`, cause })
      ),
      nextLines: lineReader(response, url)
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
