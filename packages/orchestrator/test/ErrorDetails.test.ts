import { assert, describe, it } from "@effect/vitest"
import { TaskError } from "@pipeweave/sdk"
import { Effect, Schedule } from "effect"
import { ERROR_DETAILS_MAX_BYTES } from "../src/flow/WorkerErrorText.js"
import { api, serveOrchestrator, serveWorker } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"

const failed = (url: string, runId: string) =>
  api<any>(url, `/api/task-runs/${runId}`).pipe(
    Effect.filterOrFail((run) => run.status === "failed", (run) => new Error(JSON.stringify(run))),
    Effect.retry(Schedule.spaced("25 millis").pipe(Schedule.upTo("60 seconds"))),
    Effect.orDie
  )

const dlqEntryOf = (url: string, runId: string) =>
  Effect.gen(function*() {
    const page = yield* api<any>(url, `/api/dlq?limit=100`)
    const item = page.items.find((i: any) => i.taskRunId === runId)
    return yield* api<any>(url, `/api/dlq/${item.id}`)
  })

const details = { field: "email", reasons: ["missing @", "too long"], nested: { at: 3 } }

for (const [name, database] of databases) {
  describe(`TaskError details are kept (${name})`, () => {
    it.live("details reach the run's attempt and the dead letter; huge details are cut with a marker", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        yield* serveWorker(url, "validation", (w) => {
          w.register("validate", { retries: 0 }, async () => {
            throw new TaskError("invalid input", { code: "BAD_INPUT", retryable: false, details })
          })
          w.register("validate-huge", { retries: 0 }, async () => {
            throw new TaskError("invalid input", { code: "BAD_INPUT", retryable: false, details: { rows: "x".repeat(100_000) } })
          })
        })
        const small = yield* api<any>(url, "/api/queue/task", { taskId: "validate", input: {} })
        const huge = yield* api<any>(url, "/api/queue/task", { taskId: "validate-huge", input: {} })

        const run = yield* failed(url, small.runId)
        assert.strictEqual(run.attempts.length, 1)
        assert.deepStrictEqual(run.attempts[0].errorDetails, details)
        const entry = yield* dlqEntryOf(url, small.runId)
        assert.deepStrictEqual(entry.errorDetails, details)

        const hugeRun = yield* failed(url, huge.runId)
        const cut = hugeRun.attempts[0].errorDetails
        assert.strictEqual(cut.truncated, true)
        assert.isAbove(cut.bytes, 100_000)
        assert.isTrue(cut.preview.startsWith(`{"rows":"xxx`))
        assert.isAtMost(Buffer.byteLength(JSON.stringify(cut)), ERROR_DETAILS_MAX_BYTES)
        assert.deepStrictEqual((yield* dlqEntryOf(url, huge.runId)).errorDetails, cut)
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
