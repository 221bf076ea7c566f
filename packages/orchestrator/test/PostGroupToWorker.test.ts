import { assert, describe, it } from "@effect/vitest"
import { HttpAgent } from "@effect/platform-node/NodeHttpClient"
import { Effect, Either, Fiber } from "effect"
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import { Agent as TlsAgent } from "node:https"
import type { AddressInfo } from "node:net"
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { MAX_ANSWER_LINE_CHARS, readGroupedAnswer } from "../src/flow/GroupedAnswer.js"
import { makeExchangeCutter, postGroupToWorker } from "../src/flow/PostGroupToWorker.js"

/** A server on 127.0.0.1 answering with `handle`, closed with the scope: its URL, requests seen and connections closed. */
const serve = (handle: (request: IncomingMessage, response: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly url: string; readonly requests: () => number; readonly closed: () => number }>((resume) => {
      let closed = 0
      let requests = 0
      const server = createServer((request, response) => {
        requests++
        handle(request, response)
      })
      server.on("connection", (socket) => socket.once("close", () => void closed++))
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          server,
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          requests: () => requests,
          closed: () => closed
        })))
    }),
    ({ server }) => Effect.sync(() => {
      server.closeAllConnections()
      server.close()
    })
  )

const agents = (): HttpAgent => ({ http: new Agent({ keepAlive: true, maxSockets: 1 }), https: new TlsAgent({ keepAlive: true }) }) as unknown as HttpAgent

const eventually = (check: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500 && !check(); i++) yield* Effect.sleep("10 millis")
    return check()
  })

describe("postGroupToWorker's cutter (a grouped dispatch's exchange ended at its last deadline)", () => {
  it.scopedLive("cut before any answer: the exchange fails and the connection is closed", () =>
    Effect.gen(function*() {
      const server = yield* serve((request) => void request.resume())
      const cutter = makeExchangeCutter()
      const exchange = yield* Effect.fork(Effect.scoped(postGroupToWorker(agents(), `${server.url}/dispatches`, "{}", cutter)))
      assert.isTrue(yield* eventually(() => server.requests() === 1))
      cutter.cut()
      const result = yield* Effect.either(Fiber.join(exchange))
      assert.isTrue(Either.isLeft(result))
      assert.strictEqual((result as Either.Left<{ readonly _tag: string }, unknown>).left._tag, "RequestError")
      assert.isTrue(yield* eventually(() => server.closed() === 1), "the orchestrator closed its connection")
    }))

  it.scopedLive("cut while the answer's lines are awaited: reading them fails as a lost connection", () =>
    Effect.gen(function*() {
      const server = yield* serve((request, response) => {
        request.resume()
        response.writeHead(200, { "content-type": "application/x-ndjson" })
        response.write("{\"results\":[]}\n")
      })
      const cutter = makeExchangeCutter()
      const lines = yield* Effect.scoped(Effect.gen(function*() {
        const answer = yield* postGroupToWorker(agents(), `${server.url}/dispatches`, "{}", cutter)
        const first = yield* answer.nextLines
        const rest = yield* Effect.fork(answer.nextLines)
        cutter.cut()
        return { first, rest: yield* Effect.either(Fiber.join(rest)) }
      }))
      assert.deepStrictEqual(lines.first, ["{\"results\":[]}"])
      assert.isTrue(Either.isLeft(lines.rest))
      assert.strictEqual((lines.rest as Either.Left<{ readonly _tag: string }, unknown>).left._tag, "ResponseError")
      assert.isTrue(yield* eventually(() => server.closed() === 1))
    }))

  it.scopedLive("cut once the answer was read to its end: nothing happens to the kept-alive connection", () =>
    Effect.gen(function*() {
      const server = yield* serve((request, response) => {
        request.resume()
        request.on("end", () => response.writeHead(200, { "content-type": "application/x-ndjson" }).end("{\"results\":[]}\n"))
      })
      const pool = agents()
      const cutter = makeExchangeCutter()
      const read = (c: typeof cutter) =>
        Effect.scoped(Effect.flatMap(postGroupToWorker(pool, `${server.url}/dispatches`, "{}", c), (answer) =>
          Effect.gen(function*() {
            const all: Array<string> = []
            for (;;) {
              const next = yield* answer.nextLines
              if (next === undefined) return all
              all.push(...next.filter((line) => line !== ""))
            }
          })))
      assert.deepStrictEqual(yield* read(cutter), ["{\"results\":[]}"])
      const second = yield* Effect.fork(read(makeExchangeCutter()))
      cutter.cut()
      assert.deepStrictEqual(yield* Fiber.join(second), ["{\"results\":[]}"], "the next exchange on the same socket is not cut")
      assert.strictEqual(server.requests(), 2)
      assert.strictEqual(server.closed(), 0)
    }))
})

/** A worker that answers its decisions and one item's end, then streams a line that never ends; how much it wrote. */
const endlessLineWorker = () => {
  let written = 0
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    request.resume()
    response.writeHead(200, { "content-type": "application/x-ndjson" })
    response.write(`{"results":[{"runId":"trun_aaaaaa","status":200}]}\n{"done":{"runId":"trun_aaaaaa","attempt":1,"status":"success"}}\n`)
    const chunk = "x".repeat(65_536)
    const more = () => {
      while (!response.destroyed && written < 64 * MAX_ANSWER_LINE_CHARS) {
        written += chunk.length
        if (!response.write(chunk)) return void response.once("drain", more)
      }
    }
    more()
  }
  return { handle, written: () => written }
}

describe("postGroupToWorker against a worker whose answer never ends its line", () => {
  it.scopedLive("the answer is cut off past the line limit, as a lost connection, and the worker's stream is closed", () =>
    Effect.gen(function*() {
      const worker = endlessLineWorker()
      const server = yield* serve(worker.handle)
      const lines = yield* Effect.scoped(Effect.gen(function*() {
        const answer = yield* postGroupToWorker(agents(), `${server.url}/dispatches`, "{}", makeExchangeCutter())
        const first = yield* answer.nextLines
        return { first, rest: yield* Effect.either(answer.nextLines) }
      }))
      assert.strictEqual(lines.first?.length, 2, "the decisions line and the item's end")
      assert.isTrue(Either.isLeft(lines.rest))
      const error = (lines.rest as Either.Left<{ readonly _tag: string; readonly message: string }, unknown>).left
      assert.strictEqual(error._tag, "ResponseError")
      assert.include(error.message, "longer than")
      assert.isTrue(yield* eventually(() => server.closed() === 1), "the orchestrator closed the connection")
      assert.isBelow(worker.written(), 8 * MAX_ANSWER_LINE_CHARS, "the orchestrator stopped reading soon after the limit")
    }))
})

describe("readGroupedAnswer (the traced reader, HttpClient's stream) against a worker whose answer never ends its line", () => {
  it.scopedLive("the lines before it are handled, then the answer fails past the line limit and the worker's stream is closed", () =>
    Effect.gen(function*() {
      const worker = endlessLineWorker()
      const server = yield* serve(worker.handle)
      const seen: Array<string> = []
      const url = `${server.url}/dispatches`
      const read = Effect.scoped(Effect.gen(function*() {
        const response = yield* HttpClient.post(url)
        return yield* Effect.either(readGroupedAnswer(response.stream, {
          onDecision: (index, runId, status) => Effect.sync(() => void seen.push(`decision ${index} ${runId} ${status}`)),
          onDone: (runId) => Effect.sync(() => void seen.push(`done ${runId}`))
        }, url))
      }))
      const answer = yield* read.pipe(Effect.provide(NodeHttpClient.layer))
      assert.deepStrictEqual(seen, ["decision 0 trun_aaaaaa 200", "done trun_aaaaaa"])
      assert.isTrue(Either.isLeft(answer))
      const error = (answer as Either.Left<{ readonly _tag: string; readonly message: string }, unknown>).left
      assert.deepStrictEqual([error._tag, error.message.includes("longer than")], ["ResponseError", true])
      assert.isTrue(yield* eventually(() => server.closed() === 1), "the orchestrator closed the connection")
      assert.isBelow(worker.written(), 8 * MAX_ANSWER_LINE_CHARS, "the orchestrator stopped reading soon after the limit")
    }), { timeout: 60_000 })
})
