import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Queue } from "effect"
import { Registrations } from "../../src/flow/Registrations.js"
import { registration, task } from "../support/fixtures.js"
import { databases } from "../support/TestDatabase.js"
import { fakeWorker } from "./FakeWorker.js"
import { target } from "./Harness.js"

const BIG_BYTES = 3 * 1024 * 1024

for (const [name, database] of databases) {
  describe(`dead letter payloads on ${name}`, () => {
    it.scoped("the list carries input paths and sizes, never inputs; one entry shows its input only up to 1 MiB", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database(), { inlinePayloadBytes: 0 })
        const worker = yield* fakeWorker()
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
          r.register(registration("svc", [task("known", { retries: 0 })], { baseUrl: worker.url }))))
        const runIds: Array<string> = []
        for (let n = 0; n < 4; n++) {
          const queued = yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: { n } } })
          runIds.push(queued.body.runId)
        }
        const big = JSON.stringify({ blob: "x".repeat(BIG_BYTES) })
        for (const runId of runIds.slice(1)) {
          writeFileSync(join(orchestrator.storageRoot, "standalone", runId, "input.json"), big)
        }
        yield* orchestrator.send("/api/process", { method: "POST" })
        for (let n = 0; n < runIds.length; n++) {
          const dispatch = yield* Queue.take(worker.dispatches).pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
          const failed = yield* orchestrator.send(`/api/callback/${dispatch.runId}`, {
            headers: { authorization: `Bearer ${dispatch.callbackToken}` },
            body: { status: "failure", attempt: 1, error: "boom", retryable: false }
          })
          assert.strictEqual(failed.status, 200, failed.text)
        }

        const listed = yield* orchestrator.send("/api/dlq")
        assert.strictEqual(listed.status, 200)
        assert.isBelow(listed.text.length, 8 * 1024, "a page of dead letters is small whatever their inputs")
        assert.strictEqual(listed.body.items.length, 4)
        for (const item of listed.body.items) {
          assert.notProperty(item, "input")
          assert.strictEqual(item.inputPath, `standalone/${item.taskRunId}/input.json`)
          assert.strictEqual(item.inputSize, item.taskRunId === runIds[0] ? 7 : big.length)
        }

        const small = listed.body.items.find((i: any) => i.taskRunId === runIds[0])
        const shown = (yield* orchestrator.send(`/api/dlq/${small.id}`)).body
        assert.deepStrictEqual([shown.input, shown.inputTruncated, shown.inputNote], [{ n: 0 }, false, null])

        const large = listed.body.items.find((i: any) => i.taskRunId === runIds[1])
        const detail = yield* orchestrator.send(`/api/dlq/${large.id}`)
        assert.strictEqual(detail.status, 200)
        assert.isBelow(detail.text.length, 8 * 1024)
        assert.notProperty(detail.body, "input")
        assert.isTrue(detail.body.inputTruncated)
        assert.strictEqual(detail.body.inputUrl, `/api/storage/standalone/${runIds[1]}/input.json`)
        assert.include(detail.body.inputNote, `${big.length} bytes`)
        assert.include(detail.body.inputNote, detail.body.inputUrl)
        const whole = yield* orchestrator.send(detail.body.inputUrl)
        assert.deepStrictEqual([whole.status, whole.body.size], [200, big.length])
      }), 60_000)
  })
}
