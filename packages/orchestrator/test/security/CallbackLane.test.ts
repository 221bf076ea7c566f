import { assert, describe, it } from "@effect/vitest"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Duration, Effect, Queue } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, successCallback, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { fakeWorker } from "./FakeWorker.js"
import { type Answer, target } from "./Harness.js"

/**
 * A callback that no guard has to act on is applied by the callback lane, outside the `HttpApi`
 * router; one with an `Origin` header (here the orchestrator's own, which every guard lets
 * through) always takes the router. Each case is sent both ways, for two runs in the same state,
 * and must get the same answer: status, body and headers, run ids and request ids aside.
 */
const twoDispatchedRuns = (database: Parameters<typeof target>[0]) =>
  Effect.gen(function*() {
    const orchestrator = yield* target(database, { inlinePayloadBytes: 64 })
    const worker = yield* fakeWorker()
    yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
      r.register(registration("svc", [task("known", { retries: 0 })], { baseUrl: worker.url }))))
    const dispatched = []
    for (const i of [1, 2]) {
      const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: { i } } })
      assert.strictEqual(queued.status, 201, queued.text)
      const processed = yield* orchestrator.send("/api/process", { method: "POST" })
      assert.strictEqual(processed.status, 200, processed.text)
      const dispatch = yield* Queue.take(worker.dispatches).pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
      assert.strictEqual(dispatch.runId, queued.body.runId)
      dispatched.push({ runId: dispatch.runId as string, token: dispatch.callbackToken as string })
    }
    return { orchestrator, lane: dispatched[0]!, router: dispatched[1]! }
  })

const success = successCallback

/** An answer with run ids and request ids replaced, and the headers that vary per request left out. */
const normalised = (answer: Answer, runId: string) => {
  const text = answer.text.replaceAll(runId, "RUN").replace(/req_[A-Za-z0-9]+/g, "REQ")
  const headers: Array<[string, string]> = []
  answer.headers.forEach((value, name) => {
    if (name !== "date" && name !== "content-length") headers.push([name, value.replace(/req_[A-Za-z0-9]+/, "REQ")])
  })
  return { status: answer.status, text, headers }
}

for (const [name, database] of databases) {
  describe(`the callback lane on ${name}`, () => {
    it.scoped("answers every callback exactly as the API does, refusals and their side effects included", () =>
      Effect.gen(function*() {
        const { lane, orchestrator, router } = yield* twoDispatchedRuns(database())
        const origin = { origin: orchestrator.url }
        const both = (
          label: string,
          request: (run: { readonly runId: string; readonly token: string }, other: { readonly token: string }) => {
            readonly path?: string
            readonly headers?: Record<string, string>
            readonly body: unknown
          }
        ) =>
          Effect.gen(function*() {
            const viaLane = request(lane, router)
            const viaRouter = request(router, lane)
            const a = yield* orchestrator.send(viaLane.path ?? `/api/callback/${lane.runId}`, {
              headers: { authorization: `Bearer ${lane.token}`, ...viaLane.headers },
              body: viaLane.body
            })
            const b = yield* orchestrator.send(viaRouter.path ?? `/api/callback/${router.runId}`, {
              headers: { authorization: `Bearer ${router.token}`, ...origin, ...viaRouter.headers },
              body: viaRouter.body
            })
            assert.deepStrictEqual(normalised(a, lane.runId), normalised(b, router.runId), `${label}: ${a.text} / ${b.text}`)
            return a
          })

        const json = { "content-type": "application/json" }
        const broken = yield* both("not JSON", () => ({ headers: json, body: "{\"status\":" }))
        assert.strictEqual(broken.status, 400, broken.text)
        const deep = yield* both("too deep", () => ({
          headers: json,
          body: JSON.stringify({ a: JSON.parse("[".repeat(200) + "]".repeat(200)) })
        }))
        assert.strictEqual(deep.status, 400, deep.text)
        yield* both("an unknown field", ({ runId }) => ({ body: { ...success(runId), runId } }))
        yield* both("another attempt", ({ runId }) => ({ body: { ...success(runId), attempt: 2 } }))
        yield* both("the other run's credential", ({ runId }, other) => ({
          headers: { authorization: `Bearer ${other.token}` },
          body: success(runId)
        }))
        yield* both("no Bearer prefix", ({ runId, token }) => ({ headers: { authorization: token }, body: success(runId) }))
        yield* both("a path outside the scope", ({ runId }) => ({
          body: { ...success(runId), outputPath: `runs/trun_other1/outputs/${runId}.json` }
        }))
        const nul = yield* both("a NUL byte in a path", ({ runId }) => ({ body: { ...success(runId), logsPath: `runs/${runId}/logs/\u0000.jsonl` } }))
        assert.strictEqual(nul.status, 400, nul.text)
        const large = yield* both("an inline output over the limit", ({ runId }) => ({
          body: { ...success(runId), output: { text: "x".repeat(200) } }
        }))
        assert.strictEqual(large.status, 400, large.text)
        const done = yield* both("the callback", ({ runId }) => ({ body: { ...success(runId), output: { ok: true } } }))
        assert.deepStrictEqual([done.status, done.body], [200, { runId: lane.runId, status: "completed" }])
        const replayed = yield* both("its replay", ({ runId }) => ({ body: success(runId) }))
        assert.strictEqual(replayed.status, 409, replayed.text)

        const runs = yield* Effect.forEach([lane, router], ({ runId }) => orchestrator.send(`/api/task-runs/${runId}`))
        const [laneRun, routerRun] = runs.map((run, i) => JSON.parse(normalised(run, [lane, router][i]!.runId).text))
        const comparable = (run: any) => ({ ...run, createdAt: 0, startedAt: 0, completedAt: 0, updatedAt: 0, input: 0,
          attempts: run.attempts?.map((a: any) => ({ ...a, startedAt: 0, endedAt: 0, at: 0 })) })
        assert.deepStrictEqual(comparable(laneRun), comparable(routerRun))

        const missing = "trun_NoSuchRun00001"
        const credential = yield* orchestrator.use(Effect.flatMap(Crypto, (crypto) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            crypto.signCredential({ _tag: "Run", runId: missing, attempt: 1, scope: missing }, now, 300))))
        const gone = yield* both("a run that does not exist", () => ({
          path: `/api/callback/${missing}`,
          headers: { authorization: `Bearer ${credential}` },
          body: success(missing)
        }))
        assert.strictEqual(gone.status, 404, gone.text)
      }), 60_000)

    it.scoped("answers every callback group exactly as the API does, each item's refusal and its side effects included", () =>
      Effect.gen(function*() {
        const { lane, orchestrator, router } = yield* twoDispatchedRuns(database())
        type Run = { readonly runId: string; readonly token: string }
        const item = ({ runId, token }: Run, fields: Record<string, unknown> = {}) => ({
          runId,
          callbackToken: token,
          ...success(runId),
          ...fields
        })
        const both = (label: string, request: (run: Run, other: Run) => { readonly headers?: Record<string, string>; readonly body: unknown }) =>
          Effect.gen(function*() {
            const viaLane = request(lane, router)
            const viaRouter = request(router, lane)
            const a = yield* orchestrator.send("/api/callbacks", { headers: viaLane.headers ?? {}, body: viaLane.body })
            const b = yield* orchestrator.send("/api/callbacks", {
              headers: { origin: orchestrator.url, ...viaRouter.headers },
              body: viaRouter.body
            })
            assert.deepStrictEqual(normalised(a, lane.runId), normalised(b, router.runId), `${label}: ${a.text} / ${b.text}`)
            return a
          })

        const json = { "content-type": "application/json" }
        assert.strictEqual((yield* both("not JSON", () => ({ headers: json, body: "{\"callbacks\":" }))).status, 400)
        assert.strictEqual((yield* both("no callbacks", () => ({ body: { callbacks: [] } }))).status, 400)
        assert.strictEqual((yield* both("too deep", (run) => ({
          headers: json,
          body: JSON.stringify({ callbacks: [item(run, { output: JSON.parse("[".repeat(200) + "]".repeat(200)) })] })
        }))).status, 400)
        assert.strictEqual((yield* both("over the body limit", (run) => ({
          body: { callbacks: [item(run, { output: { text: "x".repeat(5 * 1024 * 1024) } })] }
        }))).status, 413)
        assert.strictEqual((yield* both("an unknown envelope field", (run) => ({ body: { callbacks: [item(run)], extra: 1 } }))).status, 400)
        assert.strictEqual((yield* both("too many", (run) => ({ body: { callbacks: Array.from({ length: 101 }, () => item(run)) } }))).status, 400)
        const cases: ReadonlyArray<readonly [string, number, (run: Run, other: Run) => unknown]> = [
          ["an unknown item field", 400, (run) => item(run, { extra: 1 })],
          ["an unknown field in an asset", 400, (run) =>
            item(run, { assets: { a: { path: `runs/${run.runId}/assets/a`, size: 1, type: "text", owner: "me" } } })],
          ["the other run's credential", 401, (run, other) => item(run, { callbackToken: other.token })],
          ["another attempt", 401, (run) => item(run, { attempt: 2 })],
          ["a path outside the scope", 400, (run) => item(run, { outputPath: `runs/trun_other1/outputs/${run.runId}.json` })],
          ["a NUL byte in a path", 400, (run) => item(run, { logsPath: `runs/${run.runId}/logs/\u0000.jsonl` })],
          ["an inline output over the limit", 400, (run) => item(run, { output: { text: "x".repeat(200) } })],
          ["not an item", 400, () => "not an item"],
          ["a run id that is not a string", 400, () => ({ runId: 7 })]
        ]
        for (const [label, status, make] of cases) {
          const refused = yield* both(label, (run, other) => ({ body: { callbacks: [make(run, other)] } }))
          assert.strictEqual(refused.status, 200, refused.text)
          assert.strictEqual((refused.body.results as ReadonlyArray<{ status: number }>)[0]!.status, status, `${label}: ${refused.text}`)
        }
        const bearer = yield* both("a Bearer on the request", (run) => ({
          headers: { authorization: `Bearer ${run.token}` },
          body: { callbacks: [item(run, { extra: 1 })] }
        }))
        assert.strictEqual(bearer.status, 200, bearer.text)
        const done = yield* both("the callback, then its replay in the same group", (run) => ({
          body: { callbacks: [item(run, { output: { ok: true } }), item(run)] }
        }))
        assert.deepStrictEqual(done.body.results, [
          { runId: lane.runId, status: 200, runStatus: "completed" },
          { runId: lane.runId, status: 409, error: { _tag: "Conflict", message: `run ${lane.runId} is named more than once in this request` } }
        ])
        const replayed = yield* both("its replay", (run) => ({ body: { callbacks: [item(run)] } }))
        assert.strictEqual((replayed.body.results as ReadonlyArray<{ status: number }>)[0]!.status, 409, replayed.text)

        const runs = yield* Effect.forEach([lane, router], ({ runId }) => orchestrator.send(`/api/task-runs/${runId}`))
        const [laneRun, routerRun] = runs.map((run, i) => JSON.parse(normalised(run, [lane, router][i]!.runId).text))
        const comparable = (run: any) => ({ ...run, createdAt: 0, startedAt: 0, completedAt: 0, updatedAt: 0, input: 0,
          attempts: run.attempts?.map((a: any) => ({ ...a, startedAt: 0, endedAt: 0, at: 0 })) })
        assert.strictEqual(laneRun.status, "completed")
        assert.deepStrictEqual(comparable(laneRun), comparable(routerRun))
      }), 60_000)
  })
}
