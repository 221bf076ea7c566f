import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect, Either, Option, TestClock } from "effect"
import { PipelineCatalog } from "../src/flow/PipelineCatalog.js"
import { Registrations } from "../src/flow/Registrations.js"
import { services } from "../src/Orchestrator.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { testSettings } from "./support/TestOrchestrator.js"

/** The task ids of pipeline `id` as a trigger would run it, or the problems that stop it. */
const tasksOf = (id: string) =>
  Effect.gen(function*() {
    const catalog = yield* PipelineCatalog
    const found = yield* catalog.find(id)
    if (Option.isNone(found)) return "not found"
    return Either.match(found.value.structure, {
      onLeft: (problems) => `cannot run (${problems.length} problem(s))`,
      onRight: (structure) => Object.keys(structure.tasks).sort().join(",")
    })
  })

/** What another orchestrator's registration writes: a task type `taskId` copied from `from`, routing to `allowedNext`. */
const taskBySql = (taskId: string, from: string, allowedNext: ReadonlyArray<string>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO tasks (task_id, service_id, code_hash, code_version, allowed_next, timeout_seconds, retries,
          retry_backoff, retry_delay_ms, heartbeat_interval_ms, concurrency, priority, has_idempotency_key,
          registered_at, updated_at)
        SELECT ${taskId}, service_id, code_hash, 1, ${JSON.stringify(allowedNext)}, timeout_seconds, retries, retry_backoff,
          retry_delay_ms, heartbeat_interval_ms, 0, 0, false, registered_at, updated_at FROM tasks WHERE task_id = ${from}`)

for (const [name, database] of databases) {
  layer(services(testSettings(), database()), { timeout: "120 seconds" })(`pipelines as triggers see them (${name})`, (it) => {
    it.effect("another orchestrator's change shows within a second; new pipelines, mended ones and this process's registrations at once", () =>
      Effect.gen(function*() {
        const registrations = yield* Registrations
        const sql = yield* SqlClient.SqlClient
        yield* registrations.register(registration("svc-cat", [task("cat-a", { allowedNext: ["cat-b"] }), task("cat-b")]))
        assert.strictEqual(yield* tasksOf("cat-a"), "cat-a,cat-b")

        // Another orchestrator re-registers cat-a without its successor.
        yield* sql`UPDATE tasks SET allowed_next = '[]' WHERE task_id = 'cat-a'`
        assert.strictEqual(yield* tasksOf("cat-a"), "cat-a,cat-b", "from the read a moment ago")
        yield* TestClock.adjust(1000)
        assert.strictEqual(yield* tasksOf("cat-a"), "cat-a", "read again once the snapshot is a second old")

        // A pipeline declared through another orchestrator is found at once, though the snapshot is fresh.
        yield* sql`INSERT INTO pipelines (pipeline_id, service_id, entry, description, registered_at, updated_at)
                   VALUES ('cat-flow', 'svc-cat', '["cat-b"]', null, now(), now())`
        assert.strictEqual(yield* tasksOf("cat-flow"), "cat-b")

        // A pipeline the snapshot holds as unable to run is read again before it is refused.
        yield* registrations.register(
          registration("svc-cat", [task("cat-a", { allowedNext: ["cat-c"] }), task("cat-b")], { version: "1.0.1" })
        )
        assert.strictEqual(yield* tasksOf("cat-a"), "cannot run (1 problem(s))")
        yield* taskBySql("cat-c", "cat-b", [])
        assert.strictEqual(yield* tasksOf("cat-a"), "cat-a,cat-c")

        // This process's own registration drops the snapshot.
        yield* registrations.register(
          registration("svc-cat", [task("cat-a", { allowedNext: ["cat-b"] }), task("cat-b")], { version: "1.0.2" })
        )
        assert.strictEqual(yield* tasksOf("cat-a"), "cat-a,cat-b")
      }))
  })
}
