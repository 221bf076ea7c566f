import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import { api, serveOrchestrator, serveWorker, until } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"


const completed = (url: string, ids: ReadonlyArray<string>) =>
  Effect.forEach(ids, (id) => until(api<any>(url, `/api/task-runs/${id}`), (run) => run.status === "completed"), { concurrency: 8 })

/**
 * Completions of standalone runs claim the next due runs in their own statement (`CompletionBatches`):
 * over real HTTP workers, a backlog still drains within the orchestrator's slots, and a type with a
 * concurrency limit keeps its turn.
 */
for (const [name, database] of databases) {
  describe(`completions that claim the next runs on ${name}`, () => {
    it.live("a backlog drains through them: every run completes once, never more than MAX_CONCURRENCY at a time", () =>
      Effect.gen(function*() {
        const MAX = 3
        const { url } = yield* serveOrchestrator(database(), { maxConcurrency: MAX })
        let running = 0
        let most = 0
        yield* serveWorker(url, "backlog", (w) => {
          w.register("step", {}, async (ctx) => {
            most = Math.max(most, ++running)
            await new Promise((resolve) => setImmediate(resolve))
            running--
            return { i: (ctx.input as { i: number }).i }
          })
        })
        const queued = yield* api(url, "/api/queue/batch", { tasks: Array.from({ length: 60 }, (_, i) => ({ taskId: "step", input: { i } })) })
        const runs = yield* completed(url, queued.results.map((r: any) => r.runId as string))
        assert.isTrue(runs.every((run) => run.attempt === 1 && run.attempts.length === 1), JSON.stringify(runs[0]))
        assert.isAtMost(most, MAX)
        assert.isAtLeast(most, 2, "runs did overlap")
        const status = yield* api<any>(url, "/api/queue/status")
        assert.deepStrictEqual([status.pending, status.running, status.completed], [0, 0, 60])
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("with a concurrency-limited type registered, a freed slot goes to that type's due run before the unlimited backlog", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database(), { maxConcurrency: 1 })
        const started: Array<string> = []
        const release = yield* Deferred.make<void>()
        yield* serveWorker(url, "mixed", (w) => {
          w.register("free", {}, async () => {
            started.push("free")
            if (started.length === 1) await Effect.runPromise(Deferred.await(release))
            return {}
          })
          w.register("limited", { concurrency: 1 }, async () => {
            started.push("limited")
            return {}
          })
        })
        const free = yield* api(url, "/api/queue/batch", { tasks: [0, 1, 2].map((i) => ({ taskId: "free", input: { i }, priority: 50 })) })
        yield* until(Effect.sync(() => started.length), (n) => n === 1)
        const limited = yield* api(url, "/api/queue/task", { taskId: "limited", priority: 1 })
        yield* Deferred.succeed(release, undefined)
        yield* completed(url, [...free.results.map((r: any) => r.runId as string), limited.runId])
        assert.deepStrictEqual(started, ["free", "limited", "free", "free"])
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
