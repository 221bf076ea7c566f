import { assert, describe, it } from "@effect/vitest"
import { TaskError } from "@pipeweave/sdk"
import { Effect } from "effect"
import { api, awaitRun, serveOrchestrator, serveWorker, until } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"


const taskRun = (url: string, id: string) => api<any>(url, `/api/task-runs/${id}`)
const ended = (run: any) => ["completed", "failed", "cancelled"].includes(run.status)

for (const [name, database] of databases) {
  describe(`reliability over real HTTP workers (${name})`, () => {
    it.live("idempotency: two concurrent runs with one key execute the handler once; later runs get the cached output and still trigger downstream", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        let charges = 0
        let receipts = 0
        yield* serveWorker(url, "payments", (w) => {
          w.register<{ orderId: number }, { charged: number }>("charge", {
            allowedNext: ["receipt"],
            idempotencyKey: (input, codeVersion) => `v${codeVersion}-order-${input.orderId}`
          }, async (ctx) => {
            charges++
            await new Promise((resolve) => setTimeout(resolve, 400))
            return { charged: ctx.input.orderId }
          })
          w.register("receipt", {}, async (ctx) => {
            receipts++
            return { receiptFor: ctx.upstream["charge"] }
          })
        })
        const batch = yield* api(url, "/api/queue/batch", {
          tasks: [{ taskId: "charge", input: { orderId: 42 } }, { taskId: "charge", input: { orderId: 42 } }]
        })
        const [a, b] = yield* Effect.forEach(batch.results, (r: any) => until(taskRun(url, r.runId), ended))
        assert.strictEqual(a.status, "completed")
        assert.strictEqual(b.status, "completed")
        assert.strictEqual(charges, 1)
        assert.strictEqual(a.outputPath, b.outputPath)
        const piped = yield* awaitRun(url, (yield* api(url, "/api/pipelines/charge/trigger", { input: { orderId: 42 } })).pipelineRunId)
        assert.strictEqual(piped.status, "completed")
        assert.strictEqual(charges, 1)
        assert.strictEqual(receipts, 1)
        const receipt = piped.tasks.find((t: any) => t.taskId === "receipt")
        assert.deepStrictEqual((yield* api(url, `/api/storage/${receipt.outputPath}`)).content, { receiptFor: { charged: 42 } })
        const other = yield* until(taskRun(url, (yield* api(url, "/api/queue/task", { taskId: "charge", input: { orderId: 7 } })).runId), ended)
        assert.strictEqual(other.status, "completed")
        assert.strictEqual(charges, 2)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a DLQ retry inside a continue pipeline resumes the run to completed, with the current code version", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        let broken = true
        const merged: Array<ReadonlyArray<string>> = []
        yield* serveWorker(url, "resume", (w) => {
          w.register("c-a", { allowedNext: ["c-ok", "c-flaky"] }, async () => ({ a: 1 }))
          w.register("c-ok", { allowedNext: ["c-merge"] }, async () => ({ ok: 1 }))
          w.register("c-flaky", { allowedNext: ["c-merge"] }, async () => {
            if (broken) throw new TaskError("upstream API is down", { code: "API_DOWN", retryable: false })
            return { flaky: 1 }
          })
          w.register("c-merge", {}, async (ctx) => {
            merged.push(Object.keys(ctx.upstream).sort())
            return { merged: true }
          })
        })
        const { pipelineRunId } = yield* api(url, "/api/pipelines/c-a/trigger", { input: {}, failureMode: "continue" })
        const failed = yield* awaitRun(url, pipelineRunId)
        assert.strictEqual(failed.status, "failed")
        assert.strictEqual(failed.tasks.find((t: any) => t.taskId === "c-merge").status, "skipped")
        const dlq = yield* api(url, `/api/dlq?pipelineRunId=${pipelineRunId}`)
        assert.strictEqual(dlq.total, 1)
        const entry = dlq.items[0]
        assert.strictEqual(entry.taskId, "c-flaky")
        assert.strictEqual(entry.pipelineId, "c-a")
        assert.strictEqual(entry.error, "upstream API is down")
        const detail = yield* api(url, `/api/dlq/${entry.id}`)
        assert.deepStrictEqual(detail.pipeline, { pipelineRunId, pipelineId: "c-a", failureMode: "continue", status: "failed" })
        assert.strictEqual(detail.attemptErrors[0].errorCode, "API_DOWN")
        broken = false
        const retried = yield* api(url, `/api/dlq/${entry.id}/retry`, {})
        assert.strictEqual(retried.status, "queued")
        assert.strictEqual(retried.codeVersion, 1)
        const resumed = yield* until(api<any>(url, `/api/runs/${pipelineRunId}`), (r) => r.status !== "running" && r.status !== "failed", 60)
        assert.strictEqual(resumed.status, "completed")
        assert.deepStrictEqual(merged, [["c-flaky", "c-ok"]])
        assert.strictEqual(resumed.tasks.find((t: any) => t.taskId === "c-flaky").taskRunId, retried.newRunId)
        const again = yield* Effect.exit(api(url, `/api/dlq/${entry.id}/retry`, {}))
        assert.strictEqual(again._tag, "Failure")
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("progress is visible on the task run, logs are stored as JSONL, previousAttempts describe earlier attempts", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        let release: () => void = () => {}
        const gate = new Promise<void>((resolve) => (release = resolve))
        const seen: Array<unknown> = []
        yield* serveWorker(url, "observe", (w) => {
          w.register("reporter", { retries: 2, retryDelayMs: 50 }, async (ctx) => {
            seen.push(ctx.previousAttempts)
            if (ctx.attempt === 1) {
              ctx.log.warn("first attempt gives up")
              throw new TaskError("try again", { code: "FLAKY" })
            }
            ctx.log.info(`attempt ${ctx.attempt} working`)
            await ctx.progress(50, "half way")
            await gate
            return { done: true }
          })
        })
        const { runId } = yield* api(url, "/api/queue/task", { taskId: "reporter", input: {} })
        const halfway = yield* until(taskRun(url, runId), (r) => r.progress?.percent === 50)
        assert.deepStrictEqual(halfway.progress, { percent: 50, message: "half way" })
        assert.strictEqual(halfway.status, "running")
        release()
        const done = yield* until(taskRun(url, runId), ended)
        assert.strictEqual(done.status, "completed")
        assert.strictEqual(done.logsPath, `runs/${runId}/logs/${runId}.jsonl`)
        const logs = (yield* api(url, `/api/storage/${done.logsPath}`)).content as string
        assert.match(logs, /attempt 2 working/)
        const previous = seen[1] as Array<any>
        assert.strictEqual(previous.length, 1)
        assert.strictEqual(previous[0].attempt, 1)
        assert.strictEqual(previous[0].error, "try again")
        assert.strictEqual(previous[0].errorCode, "FLAKY")
        assert.instanceOf(previous[0].timestamp, Date)
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
