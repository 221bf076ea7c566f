import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { OrchestratorClient, layerOrchestratorClient } from "../src/internal/OrchestratorClient.js"

/** A plain node:http orchestrator stand-in that counts the TCP connections it accepts. */
const countingServer = Effect.acquireRelease(
  Effect.async<{
    readonly server: Server
    readonly url: string
    readonly connections: () => number
    readonly paths: Array<string>
  }>((resume) => {
    let connections = 0
    const paths: Array<string> = []
    const server = createServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        paths.push(request.url ?? "")
        const { runId } = request.url!.startsWith("/api/callback/")
          ? { runId: decodeURIComponent(request.url!.slice("/api/callback/".length)) }
          : JSON.parse(body) as { runId: string }
        const conflict = runId === "trun_stale0001"
        response.writeHead(conflict ? 409 : 200, { "content-type": "application/json" })
        response.end(JSON.stringify(
          conflict
            ? { _tag: "Conflict", message: "stale attempt" }
            : { runId, status: request.url!.startsWith("/api/callback/") ? "completed" : "running", cancelled: false }
        ))
      })
    })
    server.on("connection", () => void connections++)
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        connections: () => connections,
        paths,
        server
      })))
  }),
  ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
)

describe("orchestrator client", () => {
  it.scopedLive("successive calls, answered or refused, share one kept-alive connection", () =>
    Effect.gen(function*() {
      const server = yield* countingServer
      const client = yield* Effect.provide(OrchestratorClient, layerOrchestratorClient(server.url))
      const success = { status: "success" as const, attempt: 1, outputPath: "runs/x/outputs/trun_abcdef01.json", outputSize: 2, assets: {} }
      for (let i = 0; i < 3; i++) {
        assert.deepStrictEqual(yield* client.heartbeat({ runId: "trun_abcdef01", attempt: 1 }, "token"), {
          runId: "trun_abcdef01",
          status: "running",
          cancelled: false
        })
        yield* client.callback("trun_abcdef01", success, "token")
        const refused = yield* Effect.flip(client.callback("trun_stale0001", success, "token"))
        assert.deepInclude(refused, { status: 409, retryable: false, message: "HTTP 409 Conflict: stale attempt" })
      }
      assert.strictEqual(server.paths.length, 9)
      assert.strictEqual(server.connections(), 1)
    }))
})

/** A stand-in that answers every call 200 with `body` as it is. */
const answeringServer = (body: string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly url: string }>((resume) => {
      const server = createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          response.writeHead(200, { "content-type": "application/json" })
          response.end(body)
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })))
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

describe("orchestrator client: answers it cannot read", () => {
  it.scopedLive("an idempotency decision whose _tag is an object is an unexpected answer naming _tag, not a crash", () =>
    Effect.gen(function*() {
      for (const tag of ['{"toString":false}', '[{"toString":null}]', '"Bogus"']) {
        const server = yield* answeringServer(`{"_tag":${tag}}`)
        const client = yield* Effect.provide(OrchestratorClient, layerOrchestratorClient(server.url))
        const unexpected = yield* Effect.flip(client.idempotency({ runId: "trun_abcdef01", attempt: 1, key: "k" }, "token"))
        assert.deepInclude(unexpected, { operation: "idempotency", status: 200, retryable: false })
        assert.match(unexpected.message, /^unexpected idempotency answer: [\s\S]*\["_tag"\][\s\S]*Expected "Execute" \| "Cached" \| "Wait"/)
      }
    }))
})

/** A stand-in that answers every call with `status` and then drops the connection halfway through the body it announced. */
const cuttingServer = (status: number) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Server; readonly url: string; readonly calls: () => number }>((resume) => {
      let calls = 0
      const server = createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          calls++
          response.writeHead(status, { "content-type": "application/json", "content-length": "100" })
          response.write("{\"runId\":")
          setTimeout(() => response.socket?.destroy(), 20)
        })
      })
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls })))
    }),
    ({ server }) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
  )

describe("orchestrator client: answers cut off and no answer", () => {
  const success = { status: "success" as const, attempt: 1, outputPath: "runs/x/outputs/trun_abcdef01.json", outputSize: 2, assets: {} }

  it.scopedLive("a callback answered 200 whose body is cut off counts as delivered, sent once", () =>
    Effect.gen(function*() {
      const server = yield* cuttingServer(200)
      const client = yield* Effect.provide(OrchestratorClient, layerOrchestratorClient(server.url))
      yield* client.callback("trun_abcdef01", success, "token")
      assert.strictEqual(server.calls(), 1)
    }))

  it.scopedLive("a 2xx whose JSON is cut off is an unexpected answer, not retried; a 5xx cut off keeps its status, retryable", () =>
    Effect.gen(function*() {
      const ok = yield* cuttingServer(200)
      const okClient = yield* Effect.provide(OrchestratorClient, layerOrchestratorClient(ok.url))
      const unexpected = yield* Effect.flip(okClient.heartbeat({ runId: "trun_abcdef01", attempt: 1 }, "token"))
      assert.deepInclude(unexpected, { operation: "heartbeat", status: 200, retryable: false })
      assert.match(unexpected.message, /^unexpected heartbeat answer/)

      const failing = yield* cuttingServer(503)
      const failingClient = yield* Effect.provide(OrchestratorClient, layerOrchestratorClient(failing.url))
      const refused = yield* Effect.flip(failingClient.callback("trun_abcdef01", success, "token"))
      assert.deepInclude(refused, { operation: "callback", status: 503, retryable: true, message: "HTTP 503" })
    }))

  it.scopedLive("an orchestrator that is not listening is a retryable transport error naming the call", () =>
    Effect.gen(function*() {
      const gone = yield* cuttingServer(200)
      yield* Effect.async<void>((resume) => void gone.server.close(() => resume(Effect.void)))
      const client = yield* Effect.provide(OrchestratorClient, layerOrchestratorClient(gone.url))
      const failed = yield* Effect.flip(client.heartbeat({ runId: "trun_abcdef01", attempt: 1 }, "token"))
      assert.deepInclude(failed, { operation: "heartbeat", status: undefined, retryable: true })
      assert.include(failed.message, `POST ${gone.url}/api/heartbeat`)
    }))
})
