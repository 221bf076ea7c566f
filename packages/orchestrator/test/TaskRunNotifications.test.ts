import { SqlClient } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Queue, Redacted, Stream } from "effect"
import * as Database from "../src/Database.js"
import { TASK_RUNS_CHANNEL } from "../src/scheduler/SchedulerLoop.js"
import { registerTasksBySql } from "./support/fixtures.js"
import { databases, freshPostgresUrl, testDatabaseUrl } from "./support/TestDatabase.js"

const registerTask = registerTasksBySql("notifier", { notified: 0, limited: 1 })

const queueRun = (id: string, taskId = "notified", status = "pending") =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql`INSERT INTO task_runs (id, task_id, status, priority, max_attempts, storage_backend, input_path, created_at, available_at)
        VALUES (${id}, ${taskId}, ${status}, 0, 1, 'local', ${`in/${id}`}, now(), now())`)

for (const [name, database] of databases) {
  describe(`task-run notifications on ${name}`, () => {
    it.scopedLive("only a run made pending, or a limited type's run leaving flight, wakes other schedulers", () =>
      Effect.gen(function*() {
        const context = yield* Layer.build(database())
        const pg = yield* Effect.provide(PgClient.PgClient, context)
        yield* Effect.provide(registerTask, context)
        const payloads = yield* Queue.unbounded<string>()
        yield* pg.listen(TASK_RUNS_CHANNEL).pipe(Stream.runForEach((p) => Queue.offer(payloads, p)), Effect.forkScoped)
        const mark = pg`SELECT pg_notify(${TASK_RUNS_CHANNEL}, 'mark')`
        // Listening has begun once a mark comes back.
        yield* mark.pipe(Effect.zipRight(Queue.take(payloads).pipe(Effect.timeout("250 millis"))), Effect.retry({ times: 80 }))
        yield* Queue.takeAll(payloads)
        /** How many notifications `change` sent: those that arrive before the mark sent after it. */
        const notifications = (change: Effect.Effect<unknown, unknown, SqlClient.SqlClient>) =>
          Effect.gen(function*() {
            yield* Effect.provide(change, context)
            yield* mark
            let count = 0
            while ((yield* Queue.take(payloads)) !== "mark") count++
            return count
          })
        const setStatus = (id: string, status: string) => pg`UPDATE task_runs SET status = ${status} WHERE id = ${id}`

        assert.strictEqual(yield* notifications(queueRun("trun_free000001")), 1, "queued")
        assert.strictEqual(yield* notifications(setStatus("trun_free000001", "dispatching")), 0, "claimed")
        assert.strictEqual(yield* notifications(setStatus("trun_free000001", "completed")), 0, "completed, unlimited type")
        assert.strictEqual(yield* notifications(queueRun("trun_wait000001", "notified", "waiting")), 0, "waiting")
        assert.strictEqual(yield* notifications(setStatus("trun_wait000001", "pending")), 1, "made pending")
        assert.strictEqual(yield* notifications(queueRun("trun_lim0000001", "limited")), 1, "queued, limited type")
        assert.strictEqual(yield* notifications(setStatus("trun_lim0000001", "dispatching")), 0, "claimed, limited type")
        assert.strictEqual(yield* notifications(setStatus("trun_lim0000001", "completed")), 1, "completed, limited type")
      }), { timeout: 60_000 })
  })
}

describe.skipIf(testDatabaseUrl === undefined)("task-run notifications on PostgreSQL", () => {
  it.scopedLive("name the session that made the change, so a scheduler tells its own changes from another orchestrator's", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresUrl(testDatabaseUrl!)
      const first = yield* Layer.build(Database.layerPostgres(Redacted.make(url)))
      const second = yield* Layer.build(Database.layerPostgres(Redacted.make(url)))
      const pg = (yield* Effect.provide(PgClient.PgClient, first))
      const other = (yield* Effect.provide(PgClient.PgClient, second))
      assert.match(pg.config.applicationName ?? "", /^pipeweave-orchestrator\/[A-Za-z0-9_-]{8}$/)
      assert.notStrictEqual(pg.config.applicationName, other.config.applicationName)

      yield* Effect.provide(registerTask, first)
      const payloads = yield* Queue.unbounded<string>()
      yield* pg.listen(TASK_RUNS_CHANNEL).pipe(Stream.runForEach((p) => Queue.offer(payloads, p)), Effect.forkScoped)
      // Listening has begun once a notification of our own comes back.
      const sql = yield* Effect.provide(SqlClient.SqlClient, first)
      yield* sql`SELECT pg_notify(${TASK_RUNS_CHANNEL}, 'listening?')`.pipe(
        Effect.zipRight(Queue.take(payloads).pipe(Effect.timeout("250 millis"))),
        Effect.retry({ times: 80 })
      )
      yield* Queue.takeAll(payloads)
      yield* Effect.provide(queueRun("trun_mine000001"), first)
      yield* Effect.provide(queueRun("trun_other00001"), second)
      const received = [yield* Queue.take(payloads), yield* Queue.take(payloads)]
      assert.deepStrictEqual(received, [String(pg.config.applicationName), String(other.config.applicationName)])
    }), { timeout: 60_000 })

  it.scopedLive("keep a DATABASE_URL's own application_name as the start of each session name", () =>
    Effect.gen(function*() {
      const { url } = yield* freshPostgresUrl(testDatabaseUrl!)
      const withName = new URL(url)
      withName.searchParams.set("application_name", "ops-tool")
      const first = yield* Layer.build(Database.layerPostgres(Redacted.make(withName.toString())))
      const second = yield* Layer.build(Database.layerPostgres(Redacted.make(withName.toString())))
      const names = yield* Effect.forEach([first, second], (layer) =>
        Effect.provide(
          Effect.flatMap(PgClient.PgClient, (pg) =>
            Effect.map(pg<{ name: string }>`SELECT current_setting('application_name') AS name`, (rows) => ({
              chosen: pg.config.applicationName,
              effective: rows[0]?.name
            }))),
          layer
        ))
      for (const { chosen, effective } of names) {
        assert.match(effective ?? "", /^ops-tool\/[A-Za-z0-9_-]{8}$/)
        assert.strictEqual(effective, chosen)
      }
      assert.notStrictEqual(names[0]!.effective, names[1]!.effective)
    }), { timeout: 60_000 })
})
