import { existsSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { PgClient } from "@effect/sql-pg"
import { assert, describe, it } from "@effect/vitest"
import { acquire } from "@pipeweave/orchestrator/sql/DataDirLock"
import { fromSqlFiles, migrationsDir } from "@pipeweave/orchestrator/sql/Migrations"
import * as PgliteClient from "@pipeweave/orchestrator/sql/PgliteClient"
import { Effect, type Layer, Redacted, type Scope } from "effect"
import { runCli } from "./support/RunCli.js"
import { scratchDatabase, testDatabaseUrl } from "./support/ScratchPostgres.js"

/** Every migration in the orchestrator's folder, as `{ id, name }` (`0007_error_details`). */
const allMigrations = () =>
  readdirSync(migrationsDir()).filter((f) => /^\d{4}_.*\.sql$/.test(f)).sort().map((f) => ({
    id: Number(f.slice(0, 4)),
    name: f.replace(/\.sql$/, "")
  }))

const migrations = readdirSync(migrationsDir())
  .filter((file) => /^\d+_[A-Za-z0-9_-]+\.sql$/.test(file))
  .sort()
  .map((file) => file.replace(/\.sql$/, ""))

/** What the orchestrator before the schema did: migrations 0001-0005 into `public`, bookkeeping in `public.pipeweave_migrations`. */
const legacyMigrations = Migrator.make({})({
  loader: Effect.map(fromSqlFiles(migrationsDir()), (files) => files.filter(([id]) => id <= 5)),
  table: "pipeweave_migrations"
})

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

describe("db on the embedded PGlite database", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "pipeweave-cli-db-"))
  const db = join(dataDir, "db")
  const env = { PIPEWEAVE_DATA_DIR: dataDir }

  it.live("status of a data dir without a database lists every migration as pending and creates nothing", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["db", "status"], env)
      assert.strictEqual(result.exitCode, 0, result.stderr)
      assert.include(result.stdout, `embedded PGlite database at ${db} (does not exist yet`)
      for (const name of migrations) assert.match(result.stdout, new RegExp(`pending:[\\s\\S]*^  ${name}$`, "m"))
      assert.isFalse(existsSync(db))
    }))

  it.live("migrate applies the migrations once; the second run says up to date", () =>
    Effect.gen(function*() {
      const first = yield* runCli(["db", "migrate", "--data-dir", dataDir])
      assert.strictEqual(first.exitCode, 0, first.stderr)
      assert.strictEqual(first.stdout, `migrated embedded PGlite database at ${db}: applied ${migrations.join(", ")}`)
      const second = yield* runCli(["db", "migrate", "--data-dir", dataDir])
      assert.strictEqual(second.exitCode, 0, second.stderr)
      assert.strictEqual(second.stdout, `embedded PGlite database at ${db} is up to date (latest migration: ${migrations.at(-1)})`)
    }))

  it.live("status after migrate lists them as applied, nothing pending", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["db", "status", "--json"], env)
      assert.strictEqual(result.exitCode, 0, result.stderr)
      const state = JSON.parse(result.stdout)
      assert.deepStrictEqual(
        state.applied.map((m: { id: number; name: string }) => `${String(m.id).padStart(4, "0")}_${m.name}`),
        migrations
      )
      assert.deepStrictEqual([state.exists, state.pending], [true, []])
      assert.match(state.applied[0].appliedAt, /^\d{4}-\d\d-\d\dT/)
    }))

  it.live("reset refuses without --yes and changes nothing; with --yes it re-creates the schema", () =>
    Effect.gen(function*() {
      const refused = yield* runCli(["db", "reset"], env)
      assert.strictEqual(refused.exitCode, 2)
      assert.match(refused.stderr, new RegExp(`^error: refusing to reset embedded PGlite database at ${escape(db)} without --yes`))
      assert.match(refused.stderr, /Add --yes to confirm\.$/)
      const untouched = JSON.parse((yield* runCli(["db", "status", "--json"], env)).stdout)
      assert.strictEqual(untouched.applied.length, migrations.length)

      const reset = yield* runCli(["db", "reset", "--yes"], env)
      assert.strictEqual(reset.exitCode, 0, reset.stderr)
      assert.strictEqual(reset.stdout, `reset embedded PGlite database at ${db}: dropped schema pipeweave, applied ${migrations.join(", ")}`)

      const init = yield* runCli(["db", "init"], env)
      assert.strictEqual(init.exitCode, 0, init.stderr)
      assert.match(init.stdout, /is up to date/)
    }))
})

describe("db on an embedded database another process holds", () => {
  it.live("is refused with one line naming the directory and the holder's PID, and touches nothing", () =>
    Effect.gen(function*() {
      const dataDir = mkdtempSync(join(tmpdir(), "pipeweave-cli-db-held-"))
      const db = join(dataDir, "db")
      const refused = yield* Effect.scoped(
        Effect.zipRight(acquire(db, { holder: "orchestrator" }), runCli(["db", "migrate", "--data-dir", dataDir]))
      )
      assert.strictEqual(refused.exitCode, 1)
      assert.strictEqual(refused.stdout, "")
      assert.strictEqual(
        refused.stderr,
        `error: The embedded database at ${db} is in use by process ${process.pid} (orchestrator); ` +
          "stop it or set PIPEWEAVE_DATA_DIR to another directory"
      )
      assert.isFalse(existsSync(db))

      const released = yield* runCli(["db", "migrate", "--data-dir", dataDir])
      assert.strictEqual(released.exitCode, 0, released.stderr)
    }))
})

describe("db on PostgreSQL", () => {
  it.scopedLive.skipIf(testDatabaseUrl === undefined)("migrate --url applies, reports up to date, status and reset work", () =>
    Effect.gen(function*() {
      const { name, url } = yield* scratchDatabase(testDatabaseUrl!)
      const label = new RegExp(`PostgreSQL postgres(ql)?://[^ ]*/${name}`)

      const init = yield* runCli(["db", "migrate", "--url", url])
      assert.strictEqual(init.exitCode, 0, init.stderr)
      assert.match(init.stdout, label)
      assert.match(init.stdout, new RegExp(`applied ${escape(migrations.join(", "))}$`))

      const again = yield* runCli(["db", "migrate", "--url", url])
      assert.match(again.stdout, /is up to date/)

      const status = yield* runCli(["db", "status", "--json"], { DATABASE_URL: url })
      assert.deepStrictEqual(JSON.parse(status.stdout).pending, [])
      assert.strictEqual(JSON.parse(status.stdout).applied.length, migrations.length)

      const reset = yield* runCli(["db", "reset", "--url", url, "--yes"])
      assert.strictEqual(reset.exitCode, 0, reset.stderr)
      assert.match(reset.stdout, /dropped schema pipeweave/)
    }))

  it.live("an unreachable server is one line naming the masked URL", () =>
    Effect.gen(function*() {
      const result = yield* runCli(["db", "status", "--url", "postgres://me:hunter2@127.0.0.1:1/nowhere"])
      assert.strictEqual(result.exitCode, 1)
      assert.strictEqual(
        result.stderr,
        "error: PostgreSQL postgres://me:***@127.0.0.1:1/nowhere: PgClient: Failed to connect: " +
          "connect ECONNREFUSED 127.0.0.1:1 (check --url / DATABASE_URL)"
      )
    }))
})

/** A database the CLI reaches by `args`/`env`, and a plain client on it (PostgreSQL's default search_path, `public`). */
interface SchemaTarget {
  readonly args: ReadonlyArray<string>
  readonly plain: Layer.Layer<SqlClient.SqlClient | PgClient.PgClient, unknown>
}

const schemaTargets: ReadonlyArray<readonly [string, Effect.Effect<SchemaTarget, never, Scope.Scope>]> = [
  ["the embedded PGlite database", Effect.sync(() => {
    const dataDir = mkdtempSync(join(tmpdir(), "pipeweave-cli-schema-"))
    return { args: ["--data-dir", dataDir], plain: PgliteClient.layer({ dataDir: join(dataDir, "db"), holder: "test" }) }
  })],
  ...(testDatabaseUrl === undefined ? [] : [[
    "PostgreSQL",
    Effect.map(scratchDatabase(testDatabaseUrl), ({ url }) => ({
      args: ["--url", url],
      plain: PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })
    }))
  ] as const])
]

const query = <A>(target: SchemaTarget, effect: Effect.Effect<A, unknown, SqlClient.SqlClient>) =>
  Effect.scoped(Effect.provide(effect, target.plain)).pipe(Effect.orDie)

const tablesIn = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql<{ name: string }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = ${schema} ORDER BY 1`).pipe(
      Effect.map((rows) => rows.map((row) => row.name))
    )

const appTable = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.zipRight(
    sql`CREATE TABLE public.orders (id serial PRIMARY KEY, item text NOT NULL)`,
    sql`INSERT INTO public.orders (item) VALUES ('book')`
  ))

const orders = Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ item: string }>`SELECT item FROM public.orders`)

const migrationIds = (state: { applied: ReadonlyArray<{ id: number }>; pending: ReadonlyArray<{ id: number }> }) =>
  [state.applied.map((m) => m.id), state.pending.map((m) => m.id)]

for (const [kind, makeTarget] of schemaTargets) {
  describe(`db keeps to PipeWeave's schema on ${kind}`, () => {
    it.live("reset drops schema pipeweave only: the application's table in public keeps its rows", () =>
      Effect.scoped(Effect.gen(function*() {
        const target = yield* makeTarget
        assert.strictEqual((yield* runCli(["db", "migrate", ...target.args])).exitCode, 0)
        yield* query(target, Effect.zipRight(appTable, Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql`INSERT INTO pipeweave.services VALUES ('billing', '1', 'http://127.0.0.1:9', now(), now())`)))

        const reset = yield* runCli(["db", "reset", "--yes", ...target.args])
        assert.strictEqual(reset.exitCode, 0, reset.stderr)
        assert.match(reset.stdout, new RegExp(`: dropped schema pipeweave, applied ${escape(migrations.join(", "))}$`))

        const after = yield* query(target, Effect.all({
          orders,
          publicTables: tablesIn("public"),
          services: Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT * FROM pipeweave.services`),
          tables: tablesIn("pipeweave")
        }))
        assert.deepStrictEqual(after.orders, [{ item: "book" }])
        assert.deepStrictEqual(after.publicTables, ["orders"])
        assert.deepStrictEqual(after.services, [])
        assert.include(after.tables, "task_runs")
      })), { timeout: 120_000 })

    it.live("--schema and DATABASE_SCHEMA put the tables in that schema; a bad name is refused", () =>
      Effect.scoped(Effect.gen(function*() {
        const target = yield* makeTarget
        const migrated = yield* runCli(["db", "migrate", ...target.args], { DATABASE_SCHEMA: "jobs" })
        assert.strictEqual(migrated.exitCode, 0, migrated.stderr)
        const status = yield* runCli(["db", "status", "--json", "--schema", "jobs", ...target.args])
        const state = JSON.parse(status.stdout)
        assert.strictEqual(state.schema, "jobs")
        assert.deepStrictEqual(state.pending, [])
        const elsewhere = JSON.parse((yield* runCli(["db", "status", "--json", ...target.args])).stdout)
        assert.deepStrictEqual([elsewhere.schema, elsewhere.applied], ["pipeweave", []])
        const tables = yield* query(target, Effect.all([tablesIn("jobs"), tablesIn("pipeweave"), tablesIn("public")]))
        assert.include(tables[0], "task_runs")
        assert.deepStrictEqual([tables[1], tables[2]], [[], []])

        const bad = yield* runCli(["db", "migrate", "--schema", "Jobs; DROP", ...target.args])
        assert.strictEqual(bad.exitCode, 2)
        assert.match(bad.stderr, /--schema \(or DATABASE_SCHEMA\) must be a lower-case identifier/)
      })), { timeout: 120_000 })

    it.live("an earlier layout in public: status says so, migrate moves it into pipeweave, the application's table stays", () =>
      Effect.scoped(Effect.gen(function*() {
        const target = yield* makeTarget
        yield* query(target, Effect.zipRight(legacyMigrations, appTable))

        const before = JSON.parse((yield* runCli(["db", "status", "--json", ...target.args])).stdout)
        assert.strictEqual(before.schema, "public")
        const later = allMigrations().filter((m) => m.id >= 6)
        assert.deepStrictEqual(migrationIds(before), [[1, 2, 3, 4, 5], later.map((m) => m.id)])
        const text = yield* runCli(["db", "status", ...target.args])
        assert.include(text.stdout, "schema public (laid out before PipeWeave had a schema: the next start or `pipeweave db migrate` moves it to schema pipeweave)")

        const migrated = yield* runCli(["db", "migrate", ...target.args])
        assert.strictEqual(migrated.exitCode, 0, migrated.stderr)
        assert.include(migrated.stdout, `: applied ${later.map((m) => m.name).join(", ")}`)
        const after = JSON.parse((yield* runCli(["db", "status", "--json", ...target.args])).stdout)
        assert.strictEqual(after.schema, "pipeweave")
        assert.deepStrictEqual(migrationIds(after), [allMigrations().map((m) => m.id), []])
        const left = yield* query(target, Effect.all([tablesIn("public"), orders]))
        assert.deepStrictEqual(left, [["orders"], [{ item: "book" }]])
      })), { timeout: 120_000 })
  })
}
