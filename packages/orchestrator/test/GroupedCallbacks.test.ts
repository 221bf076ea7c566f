import { assert, describe, it } from "@effect/vitest"
import { makeCrypto } from "@pipeweave/storage/Crypto"
import { Clock, Deferred, Duration, Effect, Queue, Redacted } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { api, serveOrchestrator, serveWorker, until } from "./support/InProcess.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { TEST_SECRET } from "./support/TestOrchestrator.js"
import { fakeWorker } from "./security/FakeWorker.js"
import { target } from "./security/Harness.js"

/** The requests the orchestrator counted on `route` (every status), from its `/metrics`. */
const requestsOn = (url: string, route: string) =>
  Effect.promise(async () => {
    const text = await (await fetch(`${url}/metrics`)).text()
    return text.split("\n")
      .filter((line) => line.startsWith("pipeweave_http_requests_total{") && line.includes(`route="${route}"`))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0)
  })


/** An orchestrator with task `known` (no retries) served by a fake worker, and `count` runs of it dispatched. */
const dispatchedRuns = (database: Parameters<typeof target>[0], count: number, overrides: Parameters<typeof target>[1] = {}) =>
  Effect.gen(function*() {
    const orchestrator = yield* target(database, { inlinePayloadBytes: 0, ...overrides })
    const worker = yield* fakeWorker()
    yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
      r.register(registration("svc", [task("known", { retries: 0 })], { baseUrl: worker.url }))))
    const queued = yield* orchestrator.send("/api/queue/batch", {
      body: { tasks: Array.from({ length: count }, (_, i) => ({ taskId: "known", input: { i } })) }
    })
    assert.strictEqual(queued.status, 201, queued.text)
    const dispatches = new Map<string, any>()
    while (dispatches.size < count) {
      const processed = yield* orchestrator.send("/api/process", { method: "POST" })
      assert.strictEqual(processed.status, 200, processed.text)
      const taken = yield* Queue.takeAll(worker.dispatches)
      for (const d of taken) dispatches.set(d.runId, d)
      if (taken.length === 0) {
        const d = yield* Queue.take(worker.dispatches).pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
        dispatches.set(d.runId, d)
      }
    }
    const success = (runId: string) => ({
      status: "success",
      attempt: 1,
      outputPath: `runs/${runId}/outputs/${runId}.json`,
      outputSize: 2,
      logsPath: `runs/${runId}/logs/${runId}.jsonl`
    })
    const item = (d: any, body: Record<string, unknown> = success(d.runId)) => ({ runId: d.runId, callbackToken: d.callbackToken, ...body })
    return { orchestrator, runs: [...dispatches.values()], success, item }
  })

for (const [name, database] of databases) {
  describe(`POST /api/callbacks on ${name}`, () => {
    it.scoped("each item is authenticated, validated and applied on its own; the answer mirrors the single route per item", () =>
      Effect.gen(function*() {
        const { item, orchestrator, runs, success } = yield* dispatchedRuns(database(), 6)
        const [a, b, c, d, e, f] = runs as [any, any, any, any, any, any]
        const replayed = yield* orchestrator.send(`/api/callback/${f.runId}`, {
          body: success(f.runId),
          headers: { authorization: `Bearer ${f.callbackToken}` }
        })
        assert.strictEqual(replayed.status, 200, replayed.text)
        const crypto = yield* makeCrypto(Redacted.make(TEST_SECRET))
        const forger = yield* makeCrypto(Redacted.make("00".repeat(32)))
        // The orchestrator's clock (this test's TestClock) is the one the credentials are checked against.
        const now = yield* Clock.currentTimeMillis
        const unknownToken = yield* crypto.signCredential({ _tag: "Run", runId: "trun_nosuchrun1", attempt: 1 }, now, 600)
        const forged = yield* forger.signCredential({ _tag: "Run", runId: e.runId, attempt: 1 }, now, 600)
        const expired = yield* crypto.signCredential({ _tag: "Run", runId: e.runId, attempt: 1 }, now - 3_600_000, 60)
        const untouched = () => Effect.forEach([b, c], (r) => api<any>(orchestrator.url, `/api/task-runs/${r.runId}`))
        const before = yield* untouched()

        const answer = yield* orchestrator.send("/api/callbacks", {
          body: {
            callbacks: [
              item(a),
              { ...item(b), callbackToken: c.callbackToken },
              { runId: "trun_nosuchrun1", callbackToken: unknownToken, ...success("trun_nosuchrun1") },
              item(c, { ...success(c.runId), outputSize: -1 }),
              item(f),
              item(d, { status: "failure", attempt: 1, error: "boom", retryable: false }),
              item(a),
              { ...item(e), callbackToken: forged },
              { ...item(e), callbackToken: expired },
              item(c, { ...success(c.runId), outputPath: `runs/${a.runId}/outputs/${a.runId}.json` }),
              { ...item(e), traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" }
            ]
          }
        })
        assert.strictEqual(answer.status, 200, answer.text)
        const results: Array<any> = answer.body.results
        assert.deepStrictEqual(
          results.map((r) => [r.runId, r.status]),
          [
            [a.runId, 200],
            [b.runId, 401],
            ["trun_nosuchrun1", 404],
            [c.runId, 400],
            [f.runId, 409],
            [d.runId, 200],
            [a.runId, 409],
            [e.runId, 401],
            [e.runId, 409],
            [c.runId, 409],
            [e.runId, 409]
          ]
        )
        assert.strictEqual(results[0].runStatus, "completed")
        assert.match(results[1].error.message, /not for run/)
        assert.strictEqual(results[3].error.field, "outputSize")
        assert.strictEqual(results[5].runStatus, "failed")

        // A run named again later in the request is a replay: 409 whatever the item says.
        const second = yield* orchestrator.send("/api/callbacks", {
          body: {
            callbacks: [
              { ...item(e), callbackToken: expired },
              { ...item(e), callbackToken: forged },
              item(c, { ...success(c.runId), outputPath: `runs/${a.runId}/outputs/${a.runId}.json` }),
              item(e)
            ]
          }
        })
        assert.deepStrictEqual(second.body.results.map((r: any) => r.status), [401, 409, 400, 409], second.text)
        assert.match(second.body.results[0].error.message, /invalid worker credential/)
        assert.match(second.body.results[2].error.field, /outputPath/)
        const third = yield* orchestrator.send("/api/callbacks", { body: { callbacks: [item(e)] } })
        assert.deepStrictEqual(third.body.results.map((r: any) => [r.status, r.runStatus]), [[200, "completed"]], third.text)

        const [runA, runD, runE] = yield* Effect.forEach([a, d, e], (r) => api<any>(orchestrator.url, `/api/task-runs/${r.runId}`))
        assert.deepStrictEqual([runA.status, runD.status, runE.status], ["completed", "failed", "completed"])
        assert.deepStrictEqual(yield* untouched(), before)
      }), 60_000)

    it.scoped("a hostile envelope is refused as a whole with a JSON answer naming the problem, and changes nothing", () =>
      Effect.gen(function*() {
        const { item, orchestrator, runs } = yield* dispatchedRuns(database(), 3, { maxBodyBytes: 64 * 1024 })
        const valid = item(runs[0])
        const refuse = (body: unknown, status: number, mention: RegExp, headers: Record<string, string> = {}) =>
          orchestrator.refused("/api/callbacks", { body, headers }, status, mention)

        yield* refuse(JSON.stringify({ callbacks: [valid] }), 415, /application\/json/i, { "content-type": "text/plain" })
        yield* refuse({}, 400, /callbacks/)
        yield* refuse({ callbacks: valid }, 400, /callbacks/)
        yield* refuse({ callbacks: [] }, 400, /at least one/)
        yield* refuse({ callbacks: Array.from({ length: 101 }, () => valid) }, 400, /at most 100/)
        yield* refuse([valid], 400, /callbacks|object/i)
        yield* refuse({ callbacks: [valid], extra: 1 }, 400, /extra/)
        yield* refuse("{\"callbacks\": [" + JSON.stringify(valid) + "\u0000]}", 400, /JSON/, { "content-type": "application/json" })
        let deep: unknown = valid
        for (let i = 0; i < 80; i++) deep = [deep]
        yield* refuse({ callbacks: [deep] }, 400, /deep|nest/i)
        yield* refuse({ callbacks: [{ ...valid, error: "x".repeat(70 * 1024) }] }, 413, /./)

        // Inside a well-formed envelope, hostile items are refused one by one and change nothing.
        const before = yield* orchestrator.state
        const nul = yield* orchestrator.send("/api/callbacks", {
          body: {
            callbacks: [
              { ...valid, runId: `${runs[0].runId}\u0000` },
              { ...item(runs[1]), callbackToken: `${runs[1].callbackToken}\u0000` },
              "not an object",
              { ...valid, unknownField: 1 },
              { ...item(runs[2]), traceparent: "00-zz-\u0000", outputSize: "2" }
            ]
          }
        })
        assert.strictEqual(nul.status, 200, nul.text)
        assert.deepStrictEqual(nul.body.results.map((r: any) => r.status), [401, 401, 400, 400, 400], nul.text)
        assert.strictEqual(nul.body.results[3].error.field, "unknownField")
        assert.strictEqual(nul.body.results[4].error.field, "outputSize")
        assert.deepStrictEqual(yield* orchestrator.state, before)
      }), 60_000)

    it.live("real SDK workers group their callbacks: every run completes once, with fewer callback requests than runs", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const GROUPED = 8
        let started = 0
        const allStarted = yield* Deferred.make<void>()
        yield* serveWorker(url, "grouping", (w) => {
          w.register("gather", {}, async () => {
            if (++started === GROUPED) Effect.runSync(Deferred.succeed(allStarted, undefined))
            await Effect.runPromise(Deferred.await(allStarted))
            return { ok: true }
          })
          w.register("noop", {}, async (ctx) => ctx.input)
        })
        const gathered = yield* api(url, "/api/queue/batch", { tasks: Array.from({ length: GROUPED }, () => ({ taskId: "gather" })) })
        const ids: Array<string> = gathered.results.map((r: any) => r.runId)
        const runs = yield* Effect.forEach(ids, (id) =>
          until(api<any>(url, `/api/task-runs/${id}`), (run) => run.status === "completed"))
        assert.isTrue(runs.every((run) => run.attempt === 1 && run.attempts.length === 1), JSON.stringify(runs[0]))
        const grouped = yield* requestsOn(url, "/api/callbacks")
        const single = yield* requestsOn(url, "/api/callback/:runId")
        assert.isAtLeast(grouped, 1, `no grouped callback request (single: ${single})`)
        assert.isBelow(grouped + single, GROUPED)

        const many = yield* api(url, "/api/queue/batch", { tasks: Array.from({ length: 150 }, (_, i) => ({ taskId: "noop", input: { i } })) })
        const manyRuns = yield* Effect.forEach(many.results.map((r: any) => r.runId as string), (id) =>
          until(api<any>(url, `/api/task-runs/${id}`), (run) => run.status === "completed"), { concurrency: 8 })
        assert.isTrue(manyRuns.every((run) => run.attempt === 1 && run.attempts.length === 1))
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
