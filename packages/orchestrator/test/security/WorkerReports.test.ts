import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Queue } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, successCallback, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { fakeWorker } from "./FakeWorker.js"
import { target } from "./Harness.js"

const MAX_ERROR_BYTES = 8 * 1024

/** An orchestrator with `known` (allowedNext: `next`) served by a fake worker, and one run of `known` dispatched to it. */
const dispatchedRun = (database: Parameters<typeof target>[0], input: unknown = { a: 1 }) =>
  Effect.gen(function*() {
    const orchestrator = yield* target(database, { inlinePayloadBytes: 0 })
    const worker = yield* fakeWorker()
    yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
      r.register(registration("svc", [task("known", { allowedNext: ["next"], retries: 0 }), task("next")], {
        baseUrl: worker.url
      }))))
    const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input } })
    assert.strictEqual(queued.status, 201, queued.text)
    const processed = yield* orchestrator.send("/api/process", { method: "POST" })
    assert.strictEqual(processed.status, 200, processed.text)
    const dispatch = yield* Queue.take(worker.dispatches).pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
    const runId: string = queued.body.runId
    assert.strictEqual(dispatch.runId, runId)
    const auth = { authorization: `Bearer ${dispatch.callbackToken}` }
    const callback = (body: unknown) => ({ body, headers: auth })
    const success = successCallback(runId)
    return { orchestrator, runId, callback, success, dispatch }
  })

for (const [name, database] of databases) {
  describe(`worker reports on ${name}`, () => {
    it.scoped("a callback naming paths, keys or sizes its run was not given is a 400 naming the field; nothing changes", () =>
      Effect.gen(function*() {
        const { callback, orchestrator, runId, success } = yield* dispatchedRun(database())
        const path = `/api/callback/${runId}`
        const refuse = (body: unknown, field: RegExp) => orchestrator.refused(path, callback(body), 400, field)

        yield* refuse({ ...success, outputPath: `runs/trun_other1/outputs/${runId}.json` }, /outputPath/)
        yield* refuse({ ...success, outputPath: `runs/prun_other1/outputs/${runId}.json` }, /outputPath/)
        yield* refuse({ ...success, outputPath: `runs/${runId}/outputs/../outputs/${runId}.json` }, /outputPath/)
        yield* refuse({ ...success, logsPath: `runs/prun_other1/logs/${runId}.jsonl` }, /logsPath/)
        const asset = (path: string, size = 1) => ({ path, size, type: "binary" })
        const prefix = `runs/${runId}/assets/${runId}/`
        yield* refuse({ ...success, assets: { a: asset(`${prefix}../../../trun_other1/outputs/x.json`) } }, /assets\.a\.path/)
        yield* refuse({ ...success, assets: { a: asset(`${prefix}sub/./x`) } }, /assets\.a\.path/)
        yield* refuse({ ...success, assets: { a: asset(`runs/trun_other1/assets/${runId}/a`) } }, /assets\.a\.path/)
        yield* refuse({ ...success, assets: { "cut \ud83d": asset(`${prefix}a`) } }, /assets must not contain/)
        yield* refuse({ ...success, assets: { a: { ...asset(`${prefix}a`), type: "nul\u0000" } } }, /assets/)
        yield* refuse({ ...success, assets: { "../evil": asset(`${prefix}evil`) } }, /asset key/)
        yield* refuse({ ...success, assets: { "a/b": asset(`${prefix}a/b`) } }, /asset key/)
        yield* refuse({ ...success, assets: { ["k".repeat(300)]: asset(`${prefix}k`) } }, /asset key/)
        yield* refuse({ ...success, assets: { a: asset(`${prefix}a`, -1) } }, /size/)
        yield* refuse({ ...success, outputSize: -5 }, /outputSize/)
        yield* refuse({ ...success, selectedNext: ["known"] }, /selectedNext.*'known'.*allowedNext \[next\]/)
        yield* refuse({ status: "failure", attempt: 1, error: "x", logsPath: `runs/trun_other1/logs/${runId}.jsonl` }, /logsPath/)

        const accepted = yield* orchestrator.send(path, callback({
          ...success,
          assets: { "report.pdf": asset(`${prefix}report.pdf`, 10) },
          selectedNext: ["next"]
        }))
        assert.deepStrictEqual([accepted.status, accepted.body.status], [200, "completed"], accepted.text)
      }), 60_000)

    it.scoped("a worker's error text is stored at most 8 KiB with the cut marked, U+0000 and unpaired surrogates replaced, in the run, its attempt and the DLQ", () =>
      Effect.gen(function*() {
        const { callback, orchestrator, runId } = yield* dispatchedRun(database())
        const error = `first\u0000line ${"é".repeat(300_000)} end`
        const failed = yield* orchestrator.send(`/api/callback/${runId}`, callback({
          status: "failure",
          attempt: 1,
          error,
          errorCode: "E\u0000".repeat(1000),
          retryable: false,
          details: { "k\ud800": ["cut inside an emoji \ud83d", "\ud83d\ude00", "nul \u0000"] }
        }))
        assert.deepStrictEqual([failed.status, failed.body.status], [200, "failed"], failed.text.slice(0, 500))

        const checkError = (stored: string) => {
          assert.isAtMost(Buffer.byteLength(stored), MAX_ERROR_BYTES)
          assert.isTrue(stored.startsWith("first\uFFFDline éé"), stored.slice(0, 40))
          assert.match(stored, /é … \[cut: 600015 bytes in all\]$/, stored.slice(-60))
          assert.notInclude(stored, "\u0000")
        }
        const run = (yield* orchestrator.send(`/api/task-runs/${runId}`)).body
        checkError(run.error)
        checkError(run.attempts[0].error)
        assert.deepStrictEqual(run.attempts[0].errorDetails, {
          "k\uFFFD": ["cut inside an emoji \uFFFD", "\ud83d\ude00", "nul \uFFFD"]
        })
        assert.isAtMost(Buffer.byteLength(run.errorCode), 200)
        assert.notInclude(run.errorCode, "\u0000")
        const items = (yield* orchestrator.send(`/api/queue/items`)).body.items
        checkError(items.find((i: any) => i.runId === runId).error)
        const dlq = (yield* orchestrator.send(`/api/dlq`)).body.items
        assert.strictEqual(dlq.length, 1)
        checkError(dlq[0].error)
        const detail = (yield* orchestrator.send(`/api/dlq/${dlq[0].id}`)).body
        checkError(detail.error)
        checkError(detail.attemptErrors[0].error)
      }), 60_000)
  })
}
