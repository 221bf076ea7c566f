import { SqlClient } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { Registrations } from "../src/flow/Registrations.js"
import { services } from "../src/Orchestrator.js"
import { Registry } from "../src/store/Registry.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { testSettings } from "./support/TestOrchestrator.js"

const priorityOf = (taskId: string) =>
  Effect.map(Effect.flatMap(Registry, (registry) => registry.tasksById([taskId])), (tasks) => tasks.get(taskId)?.priority)

for (const [name, database] of databases) {
  layer(services(testSettings(), database()), { timeout: "120 seconds" })(`task types as submissions see them (${name})`, (it) => {
    it.effect("a change by another orchestrator shows within a second, a new task type and this process's registrations at once", () =>
      Effect.gen(function*() {
        const registrations = yield* Registrations
        const sql = yield* SqlClient.SqlClient
        yield* registrations.register(registration("svc-snap", [task("snap-a", { priority: 5 })]))
        assert.strictEqual(yield* priorityOf("snap-a"), 5)

        // Another orchestrator (another session) re-registers with a new priority.
        yield* sql`UPDATE tasks SET priority = 9 WHERE task_id = 'snap-a'`
        assert.strictEqual(yield* priorityOf("snap-a"), 5, "from the snapshot read a moment ago")
        yield* TestClock.adjust(1000)
        assert.strictEqual(yield* priorityOf("snap-a"), 9, "read again once the snapshot is a second old")

        // A task type another orchestrator registered is found at once, though the snapshot is fresh.
        yield* sql`INSERT INTO tasks (task_id, service_id, code_hash, code_version, allowed_next, timeout_seconds, retries,
                     retry_backoff, retry_delay_ms, heartbeat_interval_ms, concurrency, priority, has_idempotency_key,
                     registered_at, updated_at)
                   SELECT 'snap-b', service_id, code_hash, 1, '[]', timeout_seconds, retries, retry_backoff, retry_delay_ms,
                     heartbeat_interval_ms, 0, 3, false, registered_at, updated_at FROM tasks WHERE task_id = 'snap-a'`
        assert.strictEqual(yield* priorityOf("snap-b"), 3)

        // This process's own registration drops the snapshot.
        yield* registrations.register(registration("svc-snap", [task("snap-a", { priority: 1 }), task("snap-b")], { version: "1.0.1" }))
        assert.strictEqual(yield* priorityOf("snap-a"), 1)
      }))
  })
}
