import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Schedule, TestClock, TestServices } from "effect"
import * as Database from "../src/Database.js"
import { EmbeddedStatistics, STATISTICS_CHECK_MS, statisticsRefresh } from "../src/scheduler/EmbeddedStatistics.js"
import { TableStatistics } from "../src/store/TableStatistics.js"
import { registerTasksBySql } from "./support/fixtures.js"

const registerTask = registerTasksBySql("stats", { counted: 0 })

const queueRuns = (from: number, to: number) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO task_runs (id, task_id, status, priority, max_attempts, storage_backend, input_path, created_at, available_at)
        SELECT 'trun_' || i, 'counted', 'completed', 0, 1, 'local', 'in/' || i, now(), now()
        FROM generate_series(${from}::int, ${to}::int) AS i`)

/** What the planner believes `task_runs` holds: -1 until it is analyzed (or vacuumed). */
const plannerRows = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ rows: number }>`SELECT reltuples::int AS rows FROM pg_class WHERE relname = 'task_runs'`, (r) => r[0]!.rows))

const Env = Layer.provideMerge(TableStatistics.Default, Database.layerPglite())

describe("the embedded database's statistics", () => {
  it.scoped("are refreshed once the run tables have grown by half, and not while they stay", () =>
    Effect.gen(function*() {
      yield* Effect.zipRight(registerTask, queueRuns(1, 100))
      const refresh = yield* statisticsRefresh
      assert.isFalse(yield* refresh, "nothing grew since the first measure")
      assert.strictEqual(yield* plannerRows, -1)
      yield* queueRuns(101, 3000)
      assert.isTrue(yield* refresh, "grown")
      assert.strictEqual(yield* plannerRows, 3000)
      yield* queueRuns(3001, 3100)
      assert.isFalse(yield* refresh, "grown by less than half")
      assert.strictEqual(yield* plannerRows, 3000)
    }).pipe(Effect.provide(Env)))

  it.scoped("the loop checks every STATISTICS_CHECK_MS once the orchestrator runs on the embedded database", () =>
    Effect.gen(function*() {
      yield* Effect.zipRight(registerTask, queueRuns(1, 100))
      yield* Layer.build(EmbeddedStatistics)
      yield* queueRuns(101, 3000)
      yield* TestClock.adjust(STATISTICS_CHECK_MS)
      // The woken check runs its statements on its own fiber: read until they have landed.
      const rows = yield* plannerRows.pipe(
        Effect.filterOrFail((n) => n === 3000),
        Effect.retry(Schedule.spaced("10 millis")),
        Effect.timeout("30 seconds"),
        TestServices.provideLive,
        Effect.orElse(() => plannerRows)
      )
      assert.strictEqual(rows, 3000)
    }).pipe(Effect.provide(Env)))
})
