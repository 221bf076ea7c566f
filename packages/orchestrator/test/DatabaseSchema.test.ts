import { mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpClient, HttpClientRequest } from "@effect/platform"
import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { Effect, type Layer, Logger, Redacted, type Scope } from "effect"
import * as Database from "../src/Database.js"
import type { DataDirInUse } from "../src/sql/DataDirLock.js"
import { fromSqlFiles, migrationsDir } from "../src/sql/Migrations.js"
import { withSearchPath } from "../src/sql/DatabaseSchema.js"
import * as PgliteClient from "../src/sql/PgliteClient.js"
import { freshPostgresUrl, testDatabaseUrl } from "./support/TestDatabase.js"
import { testOrchestrator } from "./support/TestOrchestrator.js"

/** The ids of every migration in the package's folder (0001, 0002, …). */
const allMigrationIds = (): Array<number> =>
  readdirSync(migrationsDir()).filter((f) => /^\d{4}_.*\.sql$/.test(f)).map((f) => Number(f.slice(0, 4))).sort((a, b) => a - b)

/** One database, reachable plainly (PostgreSQL's default search_path) and as the orchestrator opens it. */
interface Target {
  readonly plain: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient, SqlError | DataDirInUse>
  readonly orchestrator: (schema?: string) => ReturnType<typeof Database.layerPglite>
}

const pgliteTarget = Effect.sync((): Target => {
  const dir = join(mkdtempSync(join(tmpdir(), "pipeweave-schema-")), "db")
  return {
    plain: PgliteClient.layer({ dataDir: dir, holder: "test" }),
    orchestrator: (schema) => Database.layerPglite(dir, "test", schema)
  }
})

const postgresTarget = (baseUrl: string): Effect.Effect<Target, never, Scope.Scope> =>
  Effect.map(freshPostgresUrl(baseUrl), ({ url }) => ({
    plain: PgClient.layer({ url: Redacted.make(url), maxConnections: 1 }),
    orchestrator: (schema) => Database.layerPostgres(Redacted.make(url), "pipeweave-test", schema)
  }))

const targets: ReadonlyArray<readonly [string, Effect.Effect<Target, never, Scope.Scope>]> = [
  ["pglite", pgliteTarget],
  ...(testDatabaseUrl ? [["postgres", postgresTarget(testDatabaseUrl)] as const] : [])
]

const using = <A, E, R, E2>(layer: Layer.Layer<R, E2>, effect: Effect.Effect<A, E, R>) =>
  Effect.scoped(Effect.provide(effect, layer)).pipe(Effect.orDie)

const relations = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'S', 'v', 'm') ORDER BY 1`).pipe(
      Effect.map((rows) => rows.map((row) => row.name))
    )

const functions = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ name: string }>`
      SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = ${schema} ORDER BY 1`).pipe(Effect.map((rows) => rows.map((row) => row.name)))

const TABLES = [
  "dead_letters",
  "idempotency_keys",
  "pipeline_runs",
  "pipelines",
  "pipeweave_migrations",
  "service_instances",
  "services",
  "task_code_history",
  "task_run_attempts",
  "task_run_count_deltas",
  "task_run_counts",
  "task_runs",
  "tasks"
]

/** A service, a task and `runs` completed runs, written with schema-qualified names (`public` or `pipeweave`). */
const insertRuns = (schema: string, runs: number) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const at = "2026-01-02T03:04:05Z"
    yield* sql.unsafe(`INSERT INTO ${schema}.services VALUES ('billing', '1.0.0', 'http://127.0.0.1:9', '${at}', '${at}')`)
    yield* sql.unsafe(`
      INSERT INTO ${schema}.tasks (task_id, service_id, code_hash, code_version, allowed_next, timeout_seconds, retries,
        retry_backoff, retry_delay_ms, heartbeat_interval_ms, concurrency, priority, has_idempotency_key,
        registered_at, updated_at)
      VALUES ('invoice', 'billing', '0123456789abcdef', 1, '[]', 60, 0, 'fixed', 1000, 5000, 1, 0, false, '${at}', '${at}')`)
    for (let i = 1; i <= runs; i++) {
      yield* sql.unsafe(`
        INSERT INTO ${schema}.task_runs (id, task_id, status, priority, max_attempts, storage_backend, input_path,
          created_at, available_at, completed_at)
        VALUES ('trun_legacy${i}', 'invoice', 'completed', 0, 1, 'local', 'in/${i}', '${at}', '${at}', '${at}')`)
    }
  })

const countRuns = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe<{ runs: number; counted: number }>(`
      SELECT (SELECT count(*)::int FROM ${schema}.task_runs) AS runs,
             (SELECT coalesce(sum(n), 0)::int FROM ${schema}.task_run_counts)
               + (SELECT coalesce(sum(delta), 0)::int FROM ${schema}.task_run_count_deltas) AS counted`)).pipe(
      Effect.map(([row]) => row!)
    )

/** What the orchestrator before the schema did: migrations 0001-0005 into `public`, bookkeeping in `public.pipeweave_migrations`. */
const legacyMigrations = Migrator.make({})({
  loader: Effect.map(fromSqlFiles(migrationsDir()), (files) => files.filter(([id]) => id <= 5)),
  table: "pipeweave_migrations"
})

for (const [name, target] of targets) {
  describe(`the pipeweave schema on ${name}`, () => {
    it.live("a new database gets every table in schema pipeweave and nothing in public", () =>
      Effect.scoped(Effect.gen(function*() {
        const db = yield* target
        yield* using(db.orchestrator(), Effect.void)
        const { pipeweave, publicRelations, publicFunctions } = yield* using(
          db.plain,
          Effect.all({ pipeweave: relations("pipeweave"), publicRelations: relations("public"), publicFunctions: functions("public") })
        )
        assert.deepStrictEqual(pipeweave, TABLES)
        assert.deepStrictEqual([publicRelations, publicFunctions], [[], []])
      })), { timeout: 120_000 })

    it.live("the triggers keep counting for a session without PipeWeave's search_path (psql, the application)", () =>
      Effect.scoped(Effect.gen(function*() {
        const db = yield* target
        yield* using(db.orchestrator(), Effect.void)
        const counted = yield* using(
          db.plain,
          Effect.gen(function*() {
            const sql = yield* SqlClient.SqlClient
            yield* insertRuns("pipeweave", 3)
            yield* sql`DELETE FROM pipeweave.task_runs WHERE id = 'trun_legacy1'`
            return yield* countRuns("pipeweave")
          })
        )
        assert.deepStrictEqual(counted, { runs: 2, counted: 2 })
      })), { timeout: 120_000 })

    it.live("a custom schema beside the default one: each orchestrator sees only its own rows", () =>
      Effect.scoped(Effect.gen(function*() {
        const db = yield* target
        yield* using(db.orchestrator("pw_other"), insertRuns("pw_other", 2))
        const seen = yield* using(db.orchestrator(), countRuns("pipeweave"))
        assert.deepStrictEqual(seen, { runs: 0, counted: 0 })
        const { other, pipeweave, publicRelations } = yield* using(
          db.plain,
          Effect.all({ other: relations("pw_other"), pipeweave: relations("pipeweave"), publicRelations: relations("public") })
        )
        assert.deepStrictEqual([other, pipeweave, publicRelations], [TABLES, TABLES, []])
        const again = yield* using(db.orchestrator("pw_other"), countRuns("pw_other"))
        assert.deepStrictEqual(again, { runs: 2, counted: 2 })
      })), { timeout: 120_000 })

    it.live("a database from before the schema is moved into it with its rows; the application's table stays in public", () =>
      Effect.scoped(Effect.gen(function*() {
        const db = yield* target
        yield* using(
          db.plain,
          Effect.gen(function*() {
            const sql = yield* SqlClient.SqlClient
            yield* legacyMigrations
            yield* insertRuns("public", 3)
            yield* sql`CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL)`
            yield* sql`INSERT INTO orders (item) VALUES ('book')`
          })
        )

        const logs: Array<string> = []
        const shown = yield* using(
          testOrchestrator(db.orchestrator()),
          Effect.gen(function*() {
            const client = yield* HttpClient.HttpClient
            const response = yield* client.execute(HttpClientRequest.get("/api/task-runs/trun_legacy2"))
            return { status: response.status, body: (yield* response.json) as { runId: string; status: string } }
          })
        ).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => logs.push(String(message))))))
        assert.include(
          logs,
          "Moved PipeWeave's tables and functions from schema public to schema pipeweave: services, service_instances, " +
            "tasks, task_code_history, task_runs, task_run_attempts, dead_letters, pipelines, pipeline_runs, idempotency_keys, " +
            "task_run_counts, task_run_count_deltas, pipeweave_migrations, pipeweave_task_runs_inserted(), " +
            "pipeweave_task_runs_updated(), pipeweave_task_runs_deleted()"
        )
        assert.deepStrictEqual([shown.status, shown.body.runId, shown.body.status], [200, "trun_legacy2", "completed"])

        const after = yield* using(
          db.plain,
          Effect.gen(function*() {
            const sql = yield* SqlClient.SqlClient
            return {
              pipeweave: yield* relations("pipeweave"),
              publicRelations: yield* relations("public"),
              publicFunctions: yield* functions("public"),
              runs: yield* countRuns("pipeweave"),
              migrations: (yield* sql<{ id: number }>`SELECT migration_id AS id FROM pipeweave.pipeweave_migrations ORDER BY 1`)
                .map((row) => row.id),
              orders: yield* sql<{ item: string }>`SELECT item FROM public.orders`
            }
          })
        )
        assert.deepStrictEqual(after.pipeweave, TABLES)
        assert.deepStrictEqual(after.publicRelations, ["orders", "orders_id_seq"])
        assert.deepStrictEqual(after.publicFunctions, [])
        assert.deepStrictEqual(after.runs, { runs: 3, counted: 3 })
        assert.deepStrictEqual(after.migrations, allMigrationIds())
        assert.deepStrictEqual(after.orders, [{ item: "book" }])
      })), { timeout: 120_000 })
  })
}

describe("libpq options for the orchestrator's PostgreSQL sessions", () => {
  it("keeps the URL's options, else PGOPTIONS's, before the search path", () => {
    const optionsOf = (url: string) => new URL(url).searchParams.get("options")
    assert.strictEqual(optionsOf(withSearchPath("postgres://h/db", "pw", undefined)), "-c search_path=pw")
    assert.strictEqual(optionsOf(withSearchPath("postgres://h/db", "pw", " -c work_mem=8MB ")), "-c work_mem=8MB -c search_path=pw")
    assert.strictEqual(
      optionsOf(withSearchPath("postgres://h/db?options=-c%20statement_timeout%3D5s", "pw", "-c work_mem=8MB")),
      "-c statement_timeout=5s -c search_path=pw"
    )
  })

  if (testDatabaseUrl) {
    const baseUrl = testDatabaseUrl
    it.live("PGOPTIONS reaches every session the orchestrator opens, beside its search path", () =>
      Effect.scoped(Effect.gen(function*() {
        const { url } = yield* freshPostgresUrl(baseUrl)
        const before = process.env["PGOPTIONS"]
        process.env["PGOPTIONS"] = "-c work_mem=1234kB"
        let layer: ReturnType<typeof Database.layerPostgres>
        try {
          layer = Database.layerPostgres(Redacted.make(url), "pipeweave-test")
        } finally {
          if (before === undefined) delete process.env["PGOPTIONS"]
          else process.env["PGOPTIONS"] = before
        }
        const settings = yield* using(
          layer,
          Effect.flatMap(SqlClient.SqlClient, (sql) =>
            sql<{ workMem: string; searchPath: string }>`SELECT current_setting('work_mem') AS work_mem,
              current_setting('search_path') AS search_path`)
        )
        assert.deepStrictEqual(settings, [{ workMem: "1234kB", searchPath: "pipeweave" }])
      })), { timeout: 120_000 })
  }
})
