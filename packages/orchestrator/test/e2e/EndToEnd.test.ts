import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { awaitCompleted, awaitRegistered, getJson, postJson, startOrchestrator, startWorker, type WorkerStats } from "../support/Cluster.js"
import { freshPostgresUrl, testDatabaseUrl } from "../support/TestDatabase.js"

const backends: ReadonlyArray<readonly [string, Effect.Effect<Record<string, string>, never, import("effect").Scope.Scope>]> = [
  ["pglite", Effect.succeed({})],
  ...(testDatabaseUrl
    ? [["postgres", Effect.map(freshPostgresUrl(testDatabaseUrl), ({ url }) => ({ DATABASE_URL: url }))] as const]
    : [])
]

describe("end to end over HTTP", () => {
  for (const [name, database] of backends) {
    it.live(`200 tasks queued with /api/queue/batch all complete, each output readable (${name})`, () =>
      Effect.gen(function*() {
        const env = yield* database
        const orchestrator = yield* startOrchestrator(env)
        const worker = yield* startWorker(orchestrator.url)
        yield* awaitRegistered(orchestrator.url)
        const batch = yield* postJson<{ queued: number; results: Array<{ runId: string }> }>(
          `${orchestrator.url}/api/queue/batch`,
          { tasks: Array.from({ length: 200 }, (_, n) => ({ taskId: "noop", input: { n } })) }
        )
        assert.strictEqual(batch.queued, 200)
        yield* awaitCompleted(orchestrator.url, 200, [orchestrator.proc, worker.proc])
        const outputs = yield* Effect.forEach(batch.results, ({ runId }) =>
          Effect.gen(function*() {
            const run = yield* getJson<{ status: string; outputPath: string }>(`${orchestrator.url}/api/task-runs/${runId}`)
            assert.strictEqual(run.status, "completed")
            const stored = yield* getJson<{ content: { n: number } }>(`${orchestrator.url}/api/storage/${run.outputPath}`)
            return stored.content.n
          }), { concurrency: 10 })
        assert.deepStrictEqual(outputs, Array.from({ length: 200 }, (_, n) => n))
        const stats = yield* getJson<WorkerStats>(worker.statsUrl)
        assert.strictEqual(Object.keys(stats.executions).length, 200)
      }).pipe(Effect.scoped), { timeout: 180_000 })
  }

  it.live.skipIf(!testDatabaseUrl)(
    "two orchestrators on one PostgreSQL database: 2,000 tasks run exactly once, concurrency 3 holds",
    () =>
      Effect.gen(function*() {
        const { url: databaseUrl } = yield* freshPostgresUrl(testDatabaseUrl!)
        const shared = {
          DATABASE_URL: databaseUrl,
          STORAGE_BACKENDS: JSON.stringify([{
            id: "shared",
            provider: "local",
            credentials: { basePath: mkdtempSync(join(tmpdir(), "pipeweave-shared-")) }
          }])
        }
        const first = yield* startOrchestrator(shared)
        const second = yield* startOrchestrator(shared)
        const worker = yield* startWorker(first.url)
        yield* awaitRegistered(second.url)
        const tasks = Array.from({ length: 2000 }, (_, n) =>
          n % 5 === 0 ? { taskId: "limited", input: { n, workMs: 5 } } : { taskId: "noop", input: { n } })
        const queued = yield* Effect.forEach([0, 1000], (start) =>
          postJson<{ results: Array<{ runId: string }> }>(`${(start === 0 ? first : second).url}/api/queue/batch`, {
            tasks: tasks.slice(start, start + 1000)
          }))
        const runIds = queued.flatMap((q) => q.results.map((r) => r.runId))
        yield* awaitCompleted(first.url, 2000, [first.proc, second.proc, worker.proc], 300)
        const stats = yield* getJson<WorkerStats>(worker.statsUrl)
        assert.strictEqual(Object.keys(stats.executions).length, 2000)
        assert.deepStrictEqual(runIds.filter((id) => stats.executions[id] !== 1), [])
        assert.isAtMost(stats.maxInFlight["limited"]!, 3)
        assert.isAtLeast(stats.maxInFlight["limited"]!, 2)
        const claimedBy = yield* Effect.forEach(
          [first.url, second.url],
          (url) => getJson<{ orchestratorId: string }>(`${url}/health`)
        )
        assert.notStrictEqual(claimedBy[0]!.orchestratorId, claimedBy[1]!.orchestratorId)
      }).pipe(Effect.scoped),
    { timeout: 400_000 }
  )
})
