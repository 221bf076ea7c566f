import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import {
  awaitCompleted,
  awaitRegistered,
  getJson,
  postJson,
  startOrchestrator,
  startWorker,
  type WorkerStats
} from "../support/Cluster.js"
import { freePort } from "../support/Processes.js"
import { freshPostgresUrl, testDatabaseUrl } from "../support/TestDatabase.js"

const until = <A>(effect: Effect.Effect<A>, ok: (a: A) => boolean, seconds = 60) =>
  effect.pipe(
    Effect.filterOrFail(ok, () => new Error("condition not met")),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo(`${seconds} seconds`))),
    Effect.orDie
  )

describe("crashes with real processes", () => {
  it.live("kill -9 of a worker mid-task: the attempt fails on heartbeat loss and completes on the second worker", () =>
    Effect.gen(function*() {
      const orchestrator = yield* startOrchestrator()
      const first = yield* startWorker(orchestrator.url, { HEARTBEAT_INTERVAL_MS: "300" })
      const second = yield* startWorker(orchestrator.url, { HEARTBEAT_INTERVAL_MS: "300" })
      yield* until(getJson<Array<any>>(`${orchestrator.url}/api/services`), (s) => s[0]?.instances.length === 2)
      const { runId } = yield* postJson(`${orchestrator.url}/api/queue/task`, { taskId: "work", input: { workMs: 4000 } })
      const stats = (w: { statsUrl: string }) => getJson<WorkerStats>(w.statsUrl)
      const busy = yield* until(
        Effect.all([stats(first), stats(second)]),
        ([a, b]) => a.executions[runId] === 1 || b.executions[runId] === 1
      )
      const [victim, survivor] = busy[0].executions[runId] === 1 ? [first, second] : [second, first]
      yield* victim.proc.kill("SIGKILL")
      const run = yield* until(
        getJson<any>(`${orchestrator.url}/api/task-runs/${runId}`),
        (r) => r.status === "completed" || r.status === "failed",
        60
      )
      assert.strictEqual(run.status, "completed")
      assert.strictEqual(run.attempts.length, 2)
      assert.strictEqual(run.attempts[0].errorCode, "HEARTBEAT_TIMEOUT")
      assert.strictEqual(run.attempts[0].workerUrl, victim.url)
      assert.strictEqual(run.attempts[1].workerUrl, survivor.url)
      assert.deepStrictEqual((yield* stats(survivor)).attempts[runId], [2])
    }).pipe(Effect.scoped), { timeout: 180_000 })

  it.live.skipIf(!testDatabaseUrl)(
    "kill -9 of the orchestrator with 500 tasks in flight, then a restart: every task completes once, no retry is lost",
    () =>
      Effect.gen(function*() {
        const { url: databaseUrl } = yield* freshPostgresUrl(testDatabaseUrl!)
        const env = {
          DATABASE_URL: databaseUrl,
          MAX_CONCURRENCY: "25",
          STORAGE_BACKENDS: JSON.stringify([{
            id: "shared",
            provider: "local",
            credentials: { basePath: mkdtempSync(join(tmpdir(), "pipeweave-crash-")) }
          }])
        }
        const port = yield* freePort
        const before = yield* startOrchestrator(env, port)
        const worker = yield* startWorker(before.url, { HEARTBEAT_INTERVAL_MS: "1000" })
        yield* awaitRegistered(before.url)
        const queued = yield* postJson<{ results: Array<{ runId: string }> }>(`${before.url}/api/queue/batch`, {
          tasks: Array.from({ length: 500 }, (_, n) => ({ taskId: "work", input: { n, workMs: 150 } }))
        })
        const runIds = queued.results.map((r) => r.runId)
        const atCrash = yield* until(getJson<any>(`${before.url}/api/queue/status`), (s) => s.completed >= 100)
        yield* before.proc.kill("SIGKILL")
        const inFlightAtCrash = atCrash.running
        const after = yield* startOrchestrator(env, port)
        yield* awaitCompleted(after.url, 500, [after.proc, worker.proc], 240)
        const stats = yield* getJson<WorkerStats>(worker.statsUrl)
        const runs = yield* Effect.forEach(runIds, (id) => getJson<any>(`${after.url}/api/task-runs/${id}`), { concurrency: 10 })
        for (const run of runs) {
          assert.strictEqual(run.status, "completed")
          assert.strictEqual(run.attempts.filter((a: any) => a.status === "completed").length, 1, run.runId)
        }
        const rerun = runs.filter((r) => (stats.executions[r.runId] ?? 0) > 1)
        const executions = Object.values(stats.executions).reduce((sum, n) => sum + n, 0)
        const notExecuted = runs.filter((r) => (stats.executions[r.runId] ?? 0) === 0)
        const reasons = rerun.map((r) =>
          `${r.runId}: attempts ${r.attempts.map((a: any) => `${a.attempt}=${a.status}${a.errorCode ? `(${a.errorCode})` : ""}`).join(", ")}`
        )
        console.log(
          `[crash test] ${executions} handler executions for 500 tasks; ${inFlightAtCrash} in flight at the crash; ` +
            `${rerun.length} re-run:\n  ${reasons.join("\n  ") || "(none)"}`
        )
        assert.deepStrictEqual(notExecuted.map((r) => r.runId), [])
        assert.strictEqual(executions, 500 + rerun.reduce((sum, r) => sum + stats.executions[r.runId]! - 1, 0))
        for (const run of rerun) {
          const failedBefore = run.attempts.filter((a: any) => a.status === "timeout" || a.status === "failed")
          assert.isAtLeast(failedBefore.length, stats.executions[run.runId]! - 1, `re-run of ${run.runId} has no recorded cause`)
        }
      }).pipe(Effect.scoped),
    { timeout: 400_000 }
  )
})
