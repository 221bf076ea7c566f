import { request as httpRequest } from "node:http"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { target } from "./Harness.js"

const WRITES = [
  "/api/register",
  "/api/heartbeat",
  "/api/progress",
  "/api/idempotency",
  "/api/callback/trun_abcdefabcdef",
  "/api/queue/task",
  "/api/queue/batch",
  "/api/pipelines/known/trigger",
  "/api/pipelines/known/dry-run",
  "/api/dlq/dlq_abcdefabcdef/retry",
  "/api/dlq/retry-all",
  "/api/dlq/purge",
  "/api/process"
]

const FORMS: ReadonlyArray<readonly [string, Record<string, string>, string | Uint8Array]> = [
  ["form-urlencoded", { "content-type": "application/x-www-form-urlencoded" }, "taskId=known&olderThan=0d"],
  ["multipart", { "content-type": "multipart/form-data; boundary=x" }, "--x\r\nContent-Disposition: form-data; name=\"taskId\"\r\n\r\nknown\r\n--x--\r\n"],
  ["text/plain", { "content-type": "text/plain" }, "{\"taskId\":\"known\",\"olderThan\":\"0d\"}"],
  ["no content type", {}, new TextEncoder().encode("{\"taskId\":\"known\",\"olderThan\":\"0d\"}")]
]

/** A chunked POST that keeps streaming `chunk`s until the server answers (or `total` bytes went out). */
const streamUntilAnswered = (url: string, path: string, total: number) =>
  Effect.async<{ status: number; body: string; sent: number }>((resume) => {
    const chunk = Buffer.alloc(64 * 1024, "a")
    let sent = 0
    let answered = false
    const req = httpRequest(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json" } })
    req.on("response", (response) => {
      answered = true
      let body = ""
      response.setEncoding("utf8")
      response.on("data", (data) => (body += data))
      response.on("end", () => resume(Effect.succeed({ status: response.statusCode ?? 0, body, sent })))
    })
    req.on("error", (error) => {
      if (!answered) resume(Effect.die(new Error(`no answer after ${sent} bytes: ${error.message}`)))
    })
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length
        if (!req.write(sent === chunk.length ? Buffer.concat([Buffer.from("{\"input\":\""), chunk]) : chunk)) {
          req.once("drain", pump)
          return
        }
      }
      if (!answered) req.end("\"}")
    }
    pump()
  })

for (const [name, database] of databases) {
  describe(`request guards on ${name}`, () => {
    it.scoped("every body that is not application/json is refused with 415 on every endpoint, and changes nothing", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known" } })
        assert.strictEqual(queued.status, 201, queued.text)
        for (const path of WRITES) {
          for (const [kind, headers, body] of FORMS) {
            const answer = yield* orchestrator.refused(path, { method: "POST", headers, body }, 415, /application\/json/)
            assert.strictEqual(answer.body._tag, "UnsupportedMediaType", `${path} ${kind}`)
          }
        }
        yield* orchestrator.refused(
          "/api/dlq/dlq_abcdefabcdef/retry",
          { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" },
          415,
          /application\/json/
        )
        const json = yield* orchestrator.send("/api/queue/task", {
          headers: { "content-type": "application/json; charset=utf-8" },
          body: { taskId: "known" }
        })
        assert.strictEqual(json.status, 201, json.text)
      }), 120_000)

    it.scoped("a write from a page of another origin is refused with 403 even without a body; its own origin and listed ones pass", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { corsOrigins: ["https://monitor.example"] })
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        const evil = { origin: "https://evil.example" }
        yield* orchestrator.refused("/api/process", { method: "POST", headers: evil }, 403, /evil\.example.*CORS_ORIGINS/)
        yield* orchestrator.refused("/api/dlq/dlq_abcdefabcdef/retry", { method: "POST", headers: evil }, 403, /CORS_ORIGINS/)
        yield* orchestrator.refused("/api/queue/task", { headers: evil, body: { taskId: "known" } }, 403, /CORS_ORIGINS/)
        yield* orchestrator.refused("/api/queue/task", { headers: { origin: "null" }, body: { taskId: "known" } }, 403, /CORS_ORIGINS/)
        const read = yield* orchestrator.send("/api/queue/status", { headers: evil })
        assert.strictEqual(read.status, 200)
        const own = yield* orchestrator.send("/api/queue/task", { headers: { origin: orchestrator.url }, body: { taskId: "known" } })
        assert.strictEqual(own.status, 201, own.text)
        const listed = yield* orchestrator.send("/api/queue/task", { headers: { origin: "https://monitor.example" }, body: { taskId: "known" } })
        assert.strictEqual(listed.status, 201, listed.text)
      }), 60_000)

    it.scoped("CORS is off by default: no Access-Control-Allow-Origin, preflights not granted", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const preflight = yield* orchestrator.send("/api/queue/task", {
          method: "OPTIONS",
          headers: { origin: "https://evil.example", "access-control-request-method": "POST", "access-control-request-headers": "content-type" }
        })
        assert.isFalse(preflight.status >= 200 && preflight.status < 300, `preflight answered ${preflight.status}`)
        assert.isNull(preflight.headers.get("access-control-allow-origin"))
        const read = yield* orchestrator.send("/api/queue/status", { headers: { origin: "https://evil.example" } })
        assert.strictEqual(read.status, 200)
        assert.isNull(read.headers.get("access-control-allow-origin"))
      }), 60_000)

    it.scoped("CORS_ORIGINS grants the listed origins (Authorization allowed) and no other; * only when set", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { corsOrigins: ["https://monitor.example", "https://ops.example"] })
        const preflight = (origin: string) =>
          orchestrator.send("/api/queue/task", {
            method: "OPTIONS",
            headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" }
          })
        const granted = yield* preflight("https://monitor.example")
        assert.strictEqual(granted.status, 204)
        assert.strictEqual(granted.headers.get("access-control-allow-origin"), "https://monitor.example")
        assert.include(granted.headers.get("access-control-allow-headers") ?? "", "authorization")
        const read = yield* orchestrator.send("/api/queue/status", { headers: { origin: "https://ops.example" } })
        assert.strictEqual(read.headers.get("access-control-allow-origin"), "https://ops.example")
        assert.isNull((yield* preflight("https://evil.example")).headers.get("access-control-allow-origin"))
        const evilRead = yield* orchestrator.send("/api/queue/status", { headers: { origin: "https://evil.example" } })
        assert.isNull(evilRead.headers.get("access-control-allow-origin"))

        const open = yield* target(database(), { corsOrigins: ["*"] })
        const any = yield* open.send("/api/queue/status", { headers: { origin: "https://anywhere.example" } })
        assert.strictEqual(any.headers.get("access-control-allow-origin"), "*")
      }), 60_000)

    it.scoped("a body above MAX_BODY_BYTES is refused with 413 from its Content-Length, unread, and changes nothing", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { maxBodyBytes: 64 * 1024 })
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        const big = { taskId: "known", input: { text: "x".repeat(70 * 1024) } }
        yield* orchestrator.refused("/api/queue/task", { body: big }, 413, /MAX_BODY_BYTES \(65536 bytes\)/)
        yield* orchestrator.refused("/api/pipelines/known/trigger", { body: big }, 413, /MAX_BODY_BYTES/)
        const fits = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: { text: "x".repeat(60 * 1024) } } })
        assert.strictEqual(fits.status, 201, fits.text)
      }), 60_000)

    it.scoped("a chunked body that grows past MAX_BODY_BYTES is answered 413 as it does: reading stops, nothing changed", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { maxBodyBytes: 256 * 1024 })
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        const before = yield* orchestrator.state
        const total = 512 * 1024 * 1024
        const answer = yield* streamUntilAnswered(orchestrator.url, "/api/queue/task", total)
        assert.strictEqual(answer.status, 413, answer.body)
        assert.strictEqual(JSON.parse(answer.body)._tag, "PayloadTooLarge")
        assert.isBelow(answer.sent, 64 * 1024 * 1024, "the server kept reading long after the limit")
        assert.deepStrictEqual(yield* orchestrator.state, before)
        const after = yield* orchestrator.send("/health")
        assert.strictEqual(after.status, 200)
      }), 120_000)
  })
}
