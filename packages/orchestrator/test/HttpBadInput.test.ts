import { request as httpRequest } from "node:http"
import { HttpClient, HttpClientRequest, HttpServer } from "@effect/platform"
import { assert, layer } from "@effect/vitest"
import { makeCrypto } from "@pipeweave/storage/Crypto"
import { Effect, Redacted } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { databaseSnapshot, TEST_SECRET, testOrchestrator } from "./support/TestOrchestrator.js"

interface Answer {
  readonly status: number
  readonly body: any
}

const send = (request: HttpClientRequest.HttpClientRequest) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const response = yield* client.execute(request)
    const text = yield* response.text
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      body = text
    }
    return { status: response.status, body } as Answer
  }).pipe(Effect.scoped, Effect.orDie)

const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  send(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyUnsafeJson(body), HttpClientRequest.setHeaders(headers)))

const postRaw = (path: string, text: string) =>
  send(HttpClientRequest.post(path).pipe(HttpClientRequest.bodyText(text, "application/json")))

/** Sends a request and asserts a 4xx JSON answer that mentions `mention`, with the database unchanged. */
const rejects = <R>(request: Effect.Effect<Answer, never, R>, status: number, mention: RegExp) =>
  Effect.gen(function*() {
    const before = yield* databaseSnapshot
    const answer = yield* request
    assert.strictEqual(answer.status, status, JSON.stringify(answer))
    assert.strictEqual(typeof answer.body, "object", `expected a JSON body, got ${JSON.stringify(answer)}`)
    assert.match(JSON.stringify(answer.body), mention)
    assert.deepStrictEqual(yield* databaseSnapshot, before)
  })

/** A GET whose path is sent byte for byte (fetch would normalise `..` away). */
const rawGet = (path: string) =>
  Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    const port = server.address._tag === "TcpAddress" ? server.address.port : 0
    return yield* Effect.async<Answer>((resume) => {
      const req = httpRequest({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
        let text = ""
        res.on("data", (chunk) => (text += chunk))
        res.on("end", () => {
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {
            body = text
          }
          resume(Effect.succeed({ status: res.statusCode ?? 0, body }))
        })
      })
      req.end()
    })
  })

for (const [name, database] of databases) {
  layer(testOrchestrator(database()), { timeout: "60 seconds" })(`bad input on ${name}`, (it) => {
    it.effect("is refused with a 4xx JSON body naming the problem, and changes nothing", () =>
      Effect.gen(function*() {
        yield* (yield* Registrations).register(registration("svc", [task("known")]))
        const crypto = yield* makeCrypto(Redacted.make(TEST_SECRET))
        const wrongCrypto = yield* makeCrypto(Redacted.make("00".repeat(32)))

        yield* rejects(postJson("/api/queue/task", {}), 400, /taskId/)
        yield* rejects(postRaw("/api/queue/task", "{\"taskId\": \"known\", "), 400, /JSON|parse|Unexpected/i)
        yield* rejects(postJson("/api/queue/task", { taskId: "unknown-task" }), 404, /unknown-task/)
        yield* rejects(postJson("/api/queue/task", { taskId: "known", priority: "high" }), 400, /priority/)
        yield* rejects(
          postJson("/api/queue/batch", { tasks: [{ taskId: "known" }, { taskId: "nope" }] }),
          404,
          /tasks\[1\]\.taskId.*nope/
        )
        yield* rejects(postJson("/api/queue/batch", { tasks: [] }), 400, /at least one/)

        const callback = { status: "success", attempt: 1, outputPath: "runs/trun_unknown1/outputs/trun_unknown1.json", outputSize: 2 }
        yield* rejects(postJson("/api/callback/trun_unknown1", callback), 401, /Bearer/)
        const wrong = yield* wrongCrypto.signCredential({ _tag: "Run", runId: "trun_unknown1", attempt: 1 }, 0, 600)
        yield* rejects(
          postJson("/api/callback/trun_unknown1", callback, { authorization: `Bearer ${wrong}` }),
          401,
          /credential/
        )
        const right = yield* crypto.signCredential({ _tag: "Run", runId: "trun_unknown1", attempt: 1 }, 0, 600)
        yield* rejects(
          postJson("/api/callback/trun_unknown1", callback, { authorization: `Bearer ${right}` }),
          404,
          /trun_unknown1/
        )
        const other = yield* crypto.signCredential({ _tag: "Run", runId: "trun_someother", attempt: 1 }, 0, 600)
        yield* rejects(
          postJson("/api/callback/trun_unknown1", callback, { authorization: `Bearer ${other}` }),
          401,
          /not for run trun_unknown1/
        )
        yield* rejects(rawGet("/api/storage/runs/../../etc/passwd"), 400, /storage key/)
        yield* rejects(rawGet("/api/storage/../secret.key"), 400, /storage key/)
        yield* rejects(rawGet("/api/storage/runs/%2e%2e/%2e%2e/secret.key"), 400, /storage key/)
        yield* rejects(send(HttpClientRequest.get("/api/storage/runs/none/outputs/x.json")), 404, /runs\/none/)
        yield* rejects(send(HttpClientRequest.get("/api/task-runs/trun_nosuchrun")), 404, /trun_nosuchrun/)
        yield* rejects(send(HttpClientRequest.get("/api/queue/items?limit=0")), 400, /limit/)
      }))

    it.effect("inline payloads: an oversized inline output is refused, inline objects are read only under their own run", () =>
      Effect.gen(function*() {
        yield* (yield* Registrations).register(registration("svc", [task("known")]))
        const crypto = yield* makeCrypto(Redacted.make(TEST_SECRET))
        const input = { text: "nul \u0000 inside", nested: { deep: [1, 2, 3] } }
        const queued = yield* postJson("/api/queue/task", { taskId: "known", input })
        assert.strictEqual(queued.status, 201, JSON.stringify(queued))
        const runId: string = queued.body.runId
        const read = yield* send(HttpClientRequest.get(`/api/storage/standalone/${runId}/input.json`))
        assert.deepStrictEqual([read.status, read.body.content], [200, input])

        const token = yield* crypto.signCredential({ _tag: "Run", runId, attempt: 1 }, 0, 600)
        const huge = {
          status: "success",
          attempt: 1,
          outputPath: `runs/${runId}/outputs/${runId}.json`,
          outputSize: 20_000,
          output: { blob: "x".repeat(20_000) }
        }
        yield* rejects(postJson(`/api/callback/${runId}`, huge, { authorization: `Bearer ${token}` }), 400, /output.*at most 16384/)
        yield* rejects(send(HttpClientRequest.get(`/api/storage/runs/trun_someother/outputs/${runId}.json`)), 404, /trun_someother/)
        yield* rejects(send(HttpClientRequest.get(`/api/storage/pipelines/prun_nosuchrun/input.json`)), 404, /prun_nosuchrun/)
      }))
  })
}
