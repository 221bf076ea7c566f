import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import type { ChildProcess } from "node:child_process"
import { getJson, postJson, startOrchestrator, startWorker, type WorkerStats } from "../support/Cluster.js"

const until = <A>(effect: Effect.Effect<A>, ok: (a: A) => boolean, seconds = 60) =>
  effect.pipe(
    Effect.filterOrFail(ok, () => new Error("condition not met")),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo(`${seconds} seconds`))),
    Effect.orDie
  )

const exitCode = (child: ChildProcess) =>
  Effect.promise(() =>
    new Promise<number | null>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
      else child.once("exit", (code) => resolve(code))
    })
  )

const health = (url: string) =>
  Effect.tryPromise(() => fetch(`${url}/health`).then((r) => r.json() as Promise<{ status: string }>)).pipe(
    Effect.orElseSucceed(() => ({ status: "unreachable" }))
  )

describe("graceful worker shutdown with real processes", () => {
  it.live("SIGTERM mid-task: the task completes in one attempt, the worker exits 0, new runs wait for another instance", () =>
    Effect.gen(function*() {
      const orchestrator = yield* startOrchestrator()
      const leaving = yield* startWorker(orchestrator.url, { HEARTBEAT_INTERVAL_MS: "300" })
      yield* until(getJson<Array<any>>(`${orchestrator.url}/api/services`), (s) => s[0]?.instances.length === 1)
      const { runId } = yield* postJson(`${orchestrator.url}/api/queue/task`, { taskId: "work", input: { workMs: 3000 } })
      yield* until(getJson<WorkerStats>(leaving.statsUrl), (s) => s.inFlight["work"] === 1)

      leaving.proc.child.kill("SIGTERM")
      yield* until(health(leaving.url), (h) => h.status === "draining" || h.status === "unreachable")
      const later = yield* postJson(`${orchestrator.url}/api/queue/task`, { taskId: "noop", input: { n: 7 } })

      assert.strictEqual(yield* exitCode(leaving.proc.child), 0, leaving.proc.output())
      const run = yield* getJson<any>(`${orchestrator.url}/api/task-runs/${runId}`)
      assert.strictEqual(run.status, "completed")
      assert.strictEqual(run.attempts.length, 1)
      assert.strictEqual(run.attempts[0].workerUrl, leaving.url)

      const [service] = yield* getJson<Array<any>>(`${orchestrator.url}/api/services`)
      const instance = service.instances.find((i: any) => i.baseUrl === leaving.url)
      assert.isString(instance.unreachableSince, "the deregistered instance shows as unreachable")

      // Offered to the leaving worker (503) or to its closed port, the run spent no attempt meanwhile.
      const waiting = yield* getJson<any>(`${orchestrator.url}/api/task-runs/${later.runId}`)
      assert.notStrictEqual(waiting.status, "completed")
      assert.notStrictEqual(waiting.status, "failed")

      const next = yield* startWorker(orchestrator.url)
      const done = yield* until(
        getJson<any>(`${orchestrator.url}/api/task-runs/${later.runId}`),
        (r) => r.status === "completed" || r.status === "failed"
      )
      assert.strictEqual(done.status, "completed")
      assert.strictEqual(done.attempts.length, 1)
      assert.strictEqual(done.attempts[0].workerUrl, next.url)
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
