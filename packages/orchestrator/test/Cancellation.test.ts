import { assert, describe, it } from "@effect/vitest"
import { Worker } from "@pipeweave/sdk/effect"
import { Deferred, Duration, Effect, Layer, Queue } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { registration, task } from "./support/fixtures.js"
import { serveWorker, until } from "./support/InProcess.js"
import { freePort } from "./support/Processes.js"
import { databases } from "./support/TestDatabase.js"
import { TEST_SECRET } from "./support/TestOrchestrator.js"
import { fakeWorker } from "./security/FakeWorker.js"
import { target } from "./security/Harness.js"

/** Retries `effect` until `ok` holds (real time, bounded). */

/** Resolves `deferred` from a Promise handler (outside Effect). */
const resolve = (deferred: Deferred.Deferred<void>) => Effect.runSync(Deferred.succeed(deferred, undefined))

/** A Promise handler that runs until the orchestrator cancels it, seen through `ctx.signal`. */
const untilAborted = (started: Deferred.Deferred<void>, aborted: Deferred.Deferred<void>) => (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    signal.addEventListener("abort", () => {
      resolve(aborted)
      reject(new Error("aborted"))
    })
    resolve(started)
  })

// Serverless mode: nothing is claimed but by `POST /api/process`, so a pending run stays pending
// until the test says so, and no background loop changes the database while a refusal is checked.
for (const [name, database] of databases) {
  describe(`cancellation over real HTTP workers (${name})`, () => {
    it.live("a pending run is cancelled at once and never dispatched; a running Promise handler sees ctx.signal abort; neither is retried nor dead-lettered", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const { send, url } = orchestrator
        const post = (path: string, body?: unknown) => send(path, { method: "POST", ...(body === undefined ? {} : { body }) })
        const started = yield* Deferred.make<void>()
        const aborted = yield* Deferred.make<void>()
        const seen: Array<number> = []
        yield* serveWorker(url, "svc-cancel", (w) => {
          w.register<{ n: number }>("slow", { heartbeatIntervalMs: 100, retries: 3 }, async (ctx) => {
            seen.push(ctx.input.n)
            if (ctx.input.n === 3) return { done: 3 }
            return untilAborted(started, aborted)(ctx.signal)
          })
        })
        const queue = (n: number) => Effect.map(post("/api/queue/task", { taskId: "slow", input: { n } }), (a) => a.body.runId as string)
        const running = yield* queue(1)
        const pending = yield* queue(2)

        // Bodyless, then `{}`: both are accepted.
        const cancelledPending = yield* post(`/api/task-runs/${pending}/cancel`)
        assert.strictEqual(cancelledPending.status, 200, cancelledPending.text)
        assert.strictEqual(cancelledPending.body.status, "cancelled")
        assert.strictEqual(cancelledPending.body.errorCode, "CANCELLED")
        assert.isNotNull(cancelledPending.body.completedAt)
        assert.deepStrictEqual(cancelledPending.body.attempts, [])
        const again = yield* post(`/api/task-runs/${pending}/cancel`, {})
        assert.strictEqual(again.status, 200, again.text)
        assert.deepStrictEqual(again.body, cancelledPending.body)

        // Only the first run is dispatched; its handler runs until cancelled.
        const processed = yield* post("/api/process")
        assert.strictEqual(processed.status, 200, processed.text)
        yield* Deferred.await(started)
        yield* until(Effect.map(send(`/api/task-runs/${running}`), (a) => a.body), (run) => run.status === "running")
        const cancelledRunning = yield* post(`/api/task-runs/${running}/cancel`)
        assert.strictEqual(cancelledRunning.status, 200, cancelledRunning.text)
        assert.strictEqual(cancelledRunning.body.status, "cancelled")
        assert.strictEqual(cancelledRunning.body.attempts[0].status, "cancelled")
        yield* Deferred.await(aborted)

        // A later pass dispatches a new run, never the cancelled ones.
        const third = yield* queue(3)
        yield* post("/api/process")
        yield* until(Effect.map(send(`/api/task-runs/${third}`), (a) => a.body), (run) => run.status === "completed")
        assert.deepStrictEqual(seen, [1, 3])
        const after = yield* send(`/api/task-runs/${running}`)
        assert.strictEqual(after.body.status, "cancelled")
        assert.strictEqual(after.body.attempt, 1)
        assert.deepStrictEqual(after.body.attempts.map((a: any) => a.status), ["cancelled"])
        assert.strictEqual((yield* send(`/api/task-runs/${pending}`)).body.status, "cancelled")
        assert.strictEqual((yield* send("/api/dlq")).body.total, 0)
        const counts = (yield* send("/api/queue/status")).body
        assert.strictEqual(counts.pending, 0, JSON.stringify(counts))
        assert.strictEqual(counts.running, 0, JSON.stringify(counts))

        // A finished run is refused with 409, an unknown one with 404; neither changes anything.
        yield* orchestrator.refused(`/api/task-runs/${third}/cancel`, { method: "POST" }, 409, new RegExp(third))
        yield* orchestrator.refused(`/api/task-runs/trun_unknown42/cancel`, { method: "POST" }, 404, /trun_unknown42/)
        yield* orchestrator.refused(`/api/runs/prun_unknown42/cancel`, { method: "POST" }, 404, /prun_unknown42/)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a running Effect handler is interrupted; its run ends cancelled with no retry", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const { send, url } = orchestrator
        const started = yield* Deferred.make<void>()
        const interrupted = yield* Deferred.make<void>()
        const port = yield* freePort
        const worker = Worker.make({
          orchestratorUrl: url,
          serviceId: "svc-effect",
          version: "1.0.0",
          secretKey: TEST_SECRET,
          baseUrl: `http://127.0.0.1:${port}`,
          silent: true
        }).register("forever", { heartbeatIntervalMs: 100, retries: 3 }, () =>
          Deferred.succeed(started, undefined).pipe(
            Effect.zipRight(Effect.never),
            Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
          ))
        yield* Layer.build(Worker.layer(worker, { port, host: "127.0.0.1" }))
        const runId = (yield* send("/api/queue/task", { body: { taskId: "forever", input: {} } })).body.runId as string
        yield* send("/api/process", { method: "POST" })
        yield* Deferred.await(started)
        const cancelled = yield* send(`/api/task-runs/${runId}/cancel`, { method: "POST" })
        assert.strictEqual(cancelled.status, 200, cancelled.text)
        assert.strictEqual(cancelled.body.status, "cancelled")
        yield* Deferred.await(interrupted)
        const processed = yield* send("/api/process", { method: "POST" })
        assert.strictEqual(processed.status, 200, processed.text)
        const run = (yield* send(`/api/task-runs/${runId}`)).body
        assert.strictEqual(run.status, "cancelled")
        assert.deepStrictEqual(run.attempts.map((a: any) => a.status), ["cancelled"])
        assert.strictEqual((yield* send("/api/dlq")).body.total, 0)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a pipeline run cancelled mid-way cancels every unfinished task and ends cancelled", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const { send, url } = orchestrator
        const started = yield* Deferred.make<void>()
        const aborted = yield* Deferred.make<void>()
        const ran: Array<string> = []
        yield* serveWorker(url, "svc-pipe", (w) => {
          w.register("p-first", { allowedNext: ["p-slow", "p-quick"] }, async () => {
            ran.push("p-first")
            return { first: 1 }
          })
          w.register("p-quick", {}, async () => {
            ran.push("p-quick")
            return { quick: 1 }
          })
          w.register("p-slow", { allowedNext: ["p-last"], heartbeatIntervalMs: 100, retries: 3 }, async (ctx) => {
            ran.push("p-slow")
            return untilAborted(started, aborted)(ctx.signal)
          })
          w.register("p-last", {}, async () => {
            ran.push("p-last")
            return { last: 1 }
          })
        })
        const triggered = yield* send("/api/pipelines/p-first/trigger", { body: { input: {} } })
        assert.strictEqual(triggered.status, 201, triggered.text)
        const pipelineRunId = triggered.body.pipelineRunId as string
        const detail = Effect.map(send(`/api/runs/${pipelineRunId}`), (a) => a.body)
        const statusOf = (run: any, taskId: string) => run.tasks.find((t: any) => t.taskId === taskId)?.status
        // Drive the run until p-slow runs and p-quick has completed (p-last waits on p-slow).
        yield* send("/api/process", { method: "POST" })
        yield* until(
          Effect.zipLeft(detail, send("/api/process", { method: "POST" })),
          (run) => statusOf(run, "p-slow") === "running" && statusOf(run, "p-quick") === "completed"
        )
        yield* Deferred.await(started)

        const cancelled = yield* send(`/api/runs/${pipelineRunId}/cancel`, { method: "POST" })
        assert.strictEqual(cancelled.status, 200, cancelled.text)
        assert.strictEqual(cancelled.body.status, "cancelled")
        assert.isNotNull(cancelled.body.completedAt)
        assert.deepStrictEqual(
          Object.fromEntries(cancelled.body.tasks.map((t: any) => [t.taskId, t.status])),
          { "p-first": "completed", "p-quick": "completed", "p-slow": "cancelled", "p-last": "cancelled" }
        )
        yield* Deferred.await(aborted)
        yield* send("/api/process", { method: "POST" })
        assert.deepStrictEqual([...ran].sort(), ["p-first", "p-quick", "p-slow"])
        assert.strictEqual((yield* send("/api/dlq")).body.total, 0)

        // Idempotent, for the pipeline run and for each of its cancelled task runs.
        const again = yield* send(`/api/runs/${pipelineRunId}/cancel`, { method: "POST", body: {} })
        assert.strictEqual(again.status, 200, again.text)
        assert.deepStrictEqual(again.body, (yield* detail))
        const last = cancelled.body.tasks.find((t: any) => t.taskId === "p-last").taskRunId as string
        assert.strictEqual((yield* send(`/api/task-runs/${last}/cancel`, { method: "POST" })).body.status, "cancelled")
        const quick = cancelled.body.tasks.find((t: any) => t.taskId === "p-quick").taskRunId as string
        yield* orchestrator.refused(`/api/task-runs/${quick}/cancel`, { method: "POST" }, 409, /completed/)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a finished pipeline run answers 409; a waiting task cancelled alone fails its pipeline (fail-fast)", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const { send, url } = orchestrator
        yield* serveWorker(url, "svc-done", (w) => {
          w.register("d-first", { allowedNext: ["d-next"] }, async () => ({ first: 1 }))
          w.register("d-next", {}, async () => ({ next: 1 }))
        })
        const trigger = Effect.map(send("/api/pipelines/d-first/trigger", { body: { input: {} } }), (a) => a.body.pipelineRunId as string)
        const detail = (id: string) => Effect.map(send(`/api/runs/${id}`), (a) => a.body)

        // Before anything is processed d-next waits: cancelling it alone ends the run (fail-fast).
        const waitingRun = yield* trigger
        const waiting = (yield* detail(waitingRun)).tasks.find((t: any) => t.taskId === "d-next")
        assert.strictEqual(waiting.status, "waiting")
        const cancelledTask = yield* send(`/api/task-runs/${waiting.taskRunId}/cancel`, { method: "POST" })
        assert.strictEqual(cancelledTask.status, 200, cancelledTask.text)
        assert.strictEqual(cancelledTask.body.status, "cancelled")
        const afterTask = yield* detail(waitingRun)
        assert.strictEqual(afterTask.status, "failed")
        assert.strictEqual(afterTask.tasks.find((t: any) => t.taskId === "d-first").status, "cancelled")

        const finished = yield* trigger
        yield* until(Effect.zipLeft(detail(finished), send("/api/process", { method: "POST" })), (run) => run.status === "completed")
        yield* orchestrator.refused(`/api/runs/${finished}/cancel`, { method: "POST" }, 409, new RegExp(`${finished}.*completed`))
        yield* orchestrator.refused(`/api/runs/${waitingRun}/cancel`, { method: "POST" }, 409, /failed/)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.scoped("a cancelled attempt is told at its next heartbeat; its callbacks are then refused with 409 and change nothing", () =>
      Effect.gen(function*() {
        const orchestrator = yield* target(database())
        const worker = yield* fakeWorker()
        yield* orchestrator.use(Effect.flatMap(Registrations, (r) =>
          r.register(registration("svc", [task("known", { retries: 3 })], { baseUrl: worker.url }))))
        const runId: string = (yield* orchestrator.send("/api/queue/task", { body: { taskId: "known", input: {} } })).body.runId
        yield* orchestrator.send("/api/process", { method: "POST" })
        const dispatch = yield* Queue.take(worker.dispatches).pipe(Effect.timeout(Duration.seconds(20)), Effect.orDie)
        const headers = { authorization: `Bearer ${dispatch.callbackToken}` }
        const beat = () => orchestrator.send("/api/heartbeat", { headers, body: { runId, attempt: 1 } })
        assert.deepStrictEqual((yield* beat()).body, { runId, status: "running", cancelled: false })

        const cancelled = yield* orchestrator.send(`/api/task-runs/${runId}/cancel`, { method: "POST" })
        assert.strictEqual(cancelled.status, 200, cancelled.text)
        const told = yield* beat()
        assert.deepStrictEqual([told.status, told.body], [200, { runId, status: "cancelled", cancelled: true }])

        const path = `/api/callback/${runId}`
        const failure = { status: "failure", attempt: 1, error: "interrupted", retryable: true }
        const refusedFailure = yield* orchestrator.send(path, { headers, body: failure })
        assert.strictEqual(refusedFailure.status, 409, refusedFailure.text)
        const success = {
          status: "success",
          attempt: 1,
          outputPath: `runs/${runId}/outputs/${runId}.json`,
          outputSize: 2,
          assets: {}
        }
        const refusedSuccess = yield* orchestrator.send(path, { headers, body: success })
        assert.strictEqual(refusedSuccess.status, 409, refusedSuccess.text)
        const run = (yield* orchestrator.send(`/api/task-runs/${runId}`)).body
        assert.strictEqual(run.status, "cancelled")
        assert.strictEqual(run.attempt, 1)
        assert.strictEqual(run.attempts[0].status, "cancelled")
        yield* orchestrator.send("/api/process", { method: "POST" })
        assert.strictEqual(yield* Queue.size(worker.dispatches), 0)
        assert.strictEqual((yield* orchestrator.send("/api/dlq")).body.total, 0)
      }), 60_000)
  })
}
