import { existsSync, mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { acquire } from "@pipeweave/orchestrator/sql/DataDirLock"
import { migrationsDir } from "@pipeweave/orchestrator/sql/Migrations"
import { Effect } from "effect"
import { runCli } from "./support/RunCli.js"
import { scratchDatabase, testDatabaseUrl } from "./support/ScratchPostgres.js"

const migrations = readdirSync(migrationsDir())
  .filter((file) => /^\d+_[A-Za-z0-9_-]+\.sql$/.test(file))
  .sort()
  .map((file) => file.replace(/\.sql$/, ""))

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
