import { assert, describe, it } from "@effect/vitest"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Effect } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { target } from "./Harness.js"

const nested = (depth: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value }
  return value
}

/** The deep value as raw JSON text (JSON.stringify of 5,000 levels is fine; this keeps it cheap). */
const deepText = (wrap: (inner: string) => string, depth = 5000) => wrap(`${"[".repeat(depth)}1${"]".repeat(depth)}`)

const INT32_MAX = 2_147_483_647

for (const [name, database] of databases) {
  describe(`hostile request bodies on ${name}`, () => {
    it.scoped("JSON nested thousands deep is a 400 naming the depth on every kind of endpoint, and changes nothing", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        const crypto = yield* orchestrator.use(Crypto)
        const service = yield* crypto.signCredential({ _tag: "Service", serviceId: "svc" }, Date.now(), 600)
        const run = yield* crypto.signCredential({ _tag: "Run", runId: "trun_abcdefabcdef", attempt: 1 }, Date.now(), 600)
        const json = { "content-type": "application/json" }
        const cases: ReadonlyArray<readonly [string, string, Record<string, string>]> = [
          ["/api/queue/task", deepText((v) => `{"taskId":"known","input":${v}}`), json],
          ["/api/queue/batch", deepText((v) => `{"tasks":[{"taskId":"known","metadata":${v}}]}`), json],
          ["/api/pipelines/known/trigger", deepText((v) => `{"input":${v}}`), json],
          ["/api/register", deepText((v) => `{"serviceId":"svc","baseUrl":"http://127.0.0.1:9","tasks":${v}}`), {
            ...json,
            authorization: `Bearer ${service}`
          }],
          [
            "/api/callback/trun_abcdefabcdef",
            deepText((v) => `{"status":"success","attempt":1,"outputPath":"x","outputSize":1,"output":${v}}`),
            { ...json, authorization: `Bearer ${run}` }
          ]
        ]
        for (const [path, body, headers] of cases) {
          yield* orchestrator.refused(path, { headers, body }, 400, /deeper than 64 levels/)
        }
        const within = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: nested(60) } })
        assert.strictEqual(within.status, 201, within.text)
      }), 120_000)

    it.scoped("U+0000 or an unpaired surrogate in metadata (a key or a string) is a 400 naming metadata, and changes nothing", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        for (
          const metadata of [
            { "k\u0000": 1 },
            { k: "v\u0000" },
            { k: [{ deep: ["\u0000"] }] },
            "\u0000",
            { k: "cut inside an emoji \ud83d" },
            { "\udfffk": 1 },
            ["\ude00\ud83d"]
          ]
        ) {
          yield* orchestrator.refused("/api/queue/task", { body: { taskId: "known", metadata } }, 400, /metadata/)
          yield* orchestrator.refused("/api/queue/batch", { body: { tasks: [{ taskId: "known" }, { taskId: "known", metadata }] } }, 400, /metadata/)
          yield* orchestrator.refused("/api/pipelines/known/trigger", { body: { metadata } }, 400, /metadata/)
        }
        const fine = yield* orchestrator.send("/api/pipelines/known/trigger", {
          body: { metadata: { k: "v \ud83d\ude00" }, input: { nul: "\u0000", cut: "\ud83d" } }
        })
        assert.strictEqual(fine.status, 201, fine.text)
        const queued = yield* orchestrator.send("/api/queue/task", {
          body: { taskId: "known", metadata: { k: "v \ud83d\ude00" }, input: { nul: "\u0000", cut: "\ud83d" } }
        })
        assert.strictEqual(queued.status, 201, queued.text)
      }), 120_000)

    it.scoped("a priority outside ±1,000,000 (int32 and beyond) is a 400 naming priority wherever it is accepted", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) => r.register(registration("svc", [task("known")]))))
        for (const priority of [INT32_MAX + 1, -INT32_MAX - 2, 1e15, 1_000_001, 1.5]) {
          yield* orchestrator.refused("/api/pipelines/known/trigger", { body: { priority } }, 400, /priority/)
          yield* orchestrator.refused("/api/queue/task", { body: { taskId: "known", priority } }, 400, /priority/)
          yield* orchestrator.refused("/api/queue/batch", { body: { tasks: [{ taskId: "known", priority }] } }, 400, /priority/)
        }
        const edge = yield* orchestrator.send("/api/pipelines/known/trigger", { body: { priority: -1_000_000 } })
        assert.strictEqual(edge.status, 201, edge.text)
      }), 120_000)

    it.scoped("a huge olderThan on POST /api/dlq/purge and dates PostgreSQL cannot hold are 400s naming the field", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        for (const olderThan of ["99999999999999999999d", "9".repeat(40), "36501d"]) {
          yield* orchestrator.refused("/api/dlq/purge", { body: { olderThan } }, 400, /olderThan/)
        }
        yield* orchestrator.refused("/api/runs?since=-100000-01-01T00:00:00Z", {}, 400, /since/)
        yield* orchestrator.refused("/api/runs?until=+200000-01-01T00:00:00Z", {}, 400, /until/)
        const purge = yield* orchestrator.send("/api/dlq/purge", { body: { olderThan: "36500d" } })
        assert.strictEqual(purge.status, 200, purge.text)
      }), 60_000)

    it.scoped("U+0000 in text a worker sends (version, descriptions, baseUrl, progress, idempotency key) is a 400 naming it", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const crypto = yield* orchestrator.use(Crypto)
        const service = yield* crypto.signCredential({ _tag: "Service", serviceId: "svc" }, Date.now(), 600)
        const run = yield* crypto.signCredential({ _tag: "Run", runId: "trun_abcdefabcdef", attempt: 1 }, Date.now(), 600)
        const asService = { authorization: `Bearer ${service}` }
        const asRun = { authorization: `Bearer ${run}` }
        const register = (extra: Record<string, unknown>, taskExtra: Record<string, unknown> = {}) => ({
          serviceId: "svc",
          baseUrl: "http://127.0.0.1:9",
          tasks: [task("known", taskExtra)],
          ...extra
        })
        yield* orchestrator.refused("/api/register", { headers: asService, body: register({ version: "1\u0000" }) }, 400, /version/)
        yield* orchestrator.refused("/api/register", { headers: asService, body: register({ baseUrl: "http://127.0.0.1:9/\u0000" }) }, 400, /baseUrl/)
        yield* orchestrator.refused("/api/register", { headers: asService, body: register({}, { description: "a\u0000" }) }, 400, /description/)
        yield* orchestrator.refused(
          "/api/register",
          { headers: asService, body: register({ pipelines: [{ id: "p", entry: ["known"], description: "\u0000" }] }) },
          400,
          /description/
        )
        yield* orchestrator.refused(
          "/api/progress",
          { headers: asRun, body: { runId: "trun_abcdefabcdef", attempt: 1, percent: 5, message: "\u0000" } },
          400,
          /message/
        )
        yield* orchestrator.refused(
          "/api/idempotency",
          { headers: asRun, body: { runId: "trun_abcdefabcdef", attempt: 1, key: "k\u0000" } },
          400,
          /key/
        )
        yield* orchestrator.refused(
          "/api/callback/trun_abcdefabcdef",
          { headers: asRun, body: { status: "failure", attempt: 1, error: "boom", retryAfterMs: 1e15 } },
          400,
          /retryAfterMs/
        )
        const ok = yield* orchestrator.send("/api/register", { headers: asService, body: register({}) })
        assert.strictEqual(ok.status, 200, ok.text)
      }), 60_000)

    it.scoped("an object with its own toString or valueOf where a tag is expected is a 400 naming the field, and changes nothing", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const crypto = yield* orchestrator.use(Crypto)
        const run = yield* crypto.signCredential({ _tag: "Run", runId: "trun_abcdefabcdef", attempt: 1 }, Date.now(), 600)
        const asRun = { authorization: `Bearer ${run}`, "content-type": "application/json" }
        const success = { attempt: 1, outputPath: "runs/trun_abcdefabcdef/outputs/o.json", outputSize: 2 }
        // JSON text: JSON.parse makes these own properties, which String() of the value then calls or trips on.
        for (const status of ['{"toString":false}', '{"toString":1,"valueOf":2}', '[{"toString":null}]', '{"valueOf":{}, "toString":{}}']) {
          const body = `{"status":${status},"attempt":1,"outputPath":"${success.outputPath}","outputSize":2}`
          yield* orchestrator.refused("/api/callback/trun_abcdefabcdef", { headers: asRun, body }, 400, /status/)
          const group = `{"callbacks":[{"runId":"trun_abcdefabcdef","callbackToken":"${run}",${body.slice(1)}]}`
          const answer = yield* orchestrator.refused("/api/callbacks", { headers: { "content-type": "application/json" }, body: group }, 200, /status/)
          assert.strictEqual(answer.body.results[0].status, 400, answer.text)
        }
      }), 60_000)
  })
}
