import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Schedule } from "effect"
import { freePort, type Proc, repoRoot, spawnTs, waitForHttp } from "./Processes.js"
import { TEST_SECRET } from "./TestOrchestrator.js"

/** An orchestrator process (`packages/orchestrator/src/main.ts`) on a free port. */
export const startOrchestrator = (env: Record<string, string> = {}, fixedPort?: number) =>
  Effect.gen(function*() {
    const port = fixedPort ?? (yield* freePort)
    const proc = yield* spawnTs(join(repoRoot, "packages/orchestrator/src/main.ts"), {
      PORT: String(port),
      HOST: "127.0.0.1",
      PIPEWEAVE_SECRET_KEY: TEST_SECRET,
      PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-e2e-")),
      POLL_INTERVAL_MS: "200",
      MODE: "standalone",
      ...env
    })
    const url = `http://127.0.0.1:${port}`
    yield* waitForHttp(`${url}/health`, proc)
    return { url, proc }
  })

/** The end-to-end worker process (`test/e2e/worker.ts`), registered with `orchestratorUrl`. */
export const startWorker = (orchestratorUrl: string, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const statsPort = yield* freePort
    const proc = yield* spawnTs(join(repoRoot, "packages/orchestrator/test/e2e/worker.ts"), {
      ORCHESTRATOR_URL: orchestratorUrl,
      PIPEWEAVE_SECRET_KEY: TEST_SECRET,
      WORKER_PORT: String(port),
      STATS_PORT: String(statsPort),
      ...env
    })
    yield* waitForHttp(`http://127.0.0.1:${statsPort}/stats`, proc)
    return { url: `http://127.0.0.1:${port}`, statsUrl: `http://127.0.0.1:${statsPort}/stats`, proc }
  })

export interface WorkerStats {
  readonly executions: Record<string, number>
  readonly attempts: Record<string, ReadonlyArray<number>>
  readonly maxInFlight: Record<string, number>
  readonly inFlight: Record<string, number>
}

export const getJson = <A = any>(url: string, init?: RequestInit) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, init)
    const body = await response.json()
    if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`)
    return body as A
  }).pipe(Effect.orDie)

export const postJson = <A = any>(url: string, body: unknown) =>
  getJson<A>(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

/** Waits (real time) until the orchestrator reports `expected` completed runs, failing with diagnostics. */
export const awaitCompleted = (url: string, expected: number, procs: ReadonlyArray<Proc>, seconds = 120) =>
  getJson<{ completed: number; failed: number }>(`${url}/api/queue/status`).pipe(
    Effect.filterOrFail((s) => s.completed >= expected || s.failed > 0, (s) => new Error(JSON.stringify(s))),
    Effect.retry(Schedule.spaced("250 millis").pipe(Schedule.upTo(`${seconds} seconds`))),
    Effect.flatMap((status) =>
      status.failed === 0 ? Effect.void : Effect.fail(new Error(`${status.failed} runs failed: ${JSON.stringify(status)}`))
    ),
    Effect.catchAll((last) =>
      Effect.gen(function*() {
        const failed = yield* getJson<{ items: Array<{ runId: string; error: string | null }> }>(
          `${url}/api/queue/items?status=failed&limit=5`
        )
        const logs = procs.map((p) => p.output().slice(-3000)).join("\n---\n")
        return yield* Effect.dieMessage(
          `not all ${expected} runs completed: ${last.message}\nfailed: ${JSON.stringify(failed.items)}\n${logs}`
        )
      })
    )
  )

/** Waits until the worker is registered (its tasks are listed by the orchestrator). */
export const awaitRegistered = (url: string, serviceId = "e2e-worker") =>
  getJson<Array<{ serviceId: string }>>(`${url}/api/services`).pipe(
    Effect.filterOrFail((services) => services.some((s) => s.serviceId === serviceId)),
    Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("60 seconds"))),
    Effect.orDie
  )
