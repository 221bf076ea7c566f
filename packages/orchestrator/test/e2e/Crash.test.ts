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

  for (const database of ["embedded", ...(testDatabaseUrl ? ["postgres"] : [])] as const) {
    it.live(
      `kill -9 of the orchestrator twice during a 200-task batch (${database}): every task completes, no handler runs twice`,
      () =>
        Effect.gen(function*() {
          const env = database === "postgres"
            ? { DATABASE_URL: (yield* freshPostgresUrl(testDatabaseUrl!)).url }
            : {}
          const settings = {
            ...env,
            MAX_CONCURRENCY: "25",
            PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-crash-"))
          }
          const port = yield* freePort
          let orchestrator = yield* startOrchestrator(settings, port)
          const worker = yield* startWorker(orchestrator.url, { HEARTBEAT_INTERVAL_MS: "5000" })
          yield* awaitRegistered(orchestrator.url)
          const queued = yield* postJson<{ results: Array<{ runId: string }> }>(`${orchestrator.url}/api/queue/batch`, {
            tasks: Array.from({ length: 200 }, (_, n) => ({ taskId: "work", input: { n, workMs: 150 } }))
          })
          const runIds = queued.results.map((r) => r.runId)
          const inFlightAtCrashes: Array<number> = []
          for (const completedBeforeCrash of [40, 110]) {
            const atCrash = yield* until(
              getJson<any>(`${orchestrator.url}/api/queue/status`),
              (s) => s.completed >= completedBeforeCrash,
              240
            )
            inFlightAtCrashes.push(atCrash.running)
            yield* orchestrator.proc.kill("SIGKILL")
            orchestrator = yield* startOrchestrator(settings, port)
          }
          yield* awaitCompleted(orchestrator.url, 200, [orchestrator.proc, worker.proc], 300)
          const stats = yield* getJson<WorkerStats>(worker.statsUrl)
          const runs = yield* Effect.forEach(runIds, (id) => getJson<any>(`${orchestrator.url}/api/task-runs/${id}`), {
            concurrency: 10
          })
          const rerun = runs.filter((r) => (stats.executions[r.runId] ?? 0) > 1)
          const describe = (r: any) =>
            `${r.runId} ran ${stats.executions[r.runId]}×: attempts ${
              r.attempts.map((a: any) => `${a.attempt}=${a.status}${a.errorCode ? `(${a.errorCode})` : ""}`).join(", ")
            }`
          console.log(
            `[crash test, ${database}] ${inFlightAtCrashes.join(" and ")} in flight at the crashes; ` +
              `${rerun.length} handler(s) ran twice${rerun.length > 0 ? `:\n  ${rerun.map(describe).join("\n  ")}` : ""}`
          )
          for (const run of runs) {
            assert.strictEqual(run.status, "completed", run.runId)
            assert.strictEqual(run.attempts.filter((a: any) => a.status === "completed").length, 1, run.runId)
            assert.strictEqual(stats.executions[run.runId] ?? 0, 1, describe(run))
          }
        }).pipe(Effect.scoped),
      { timeout: 600_000 }
    )
  }
})
