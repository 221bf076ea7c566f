import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqlClient } from "@effect/sql"
import { assert, describe, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { Chunk, Effect, Fiber, Logger, Stream } from "effect"
import * as Database from "../src/Database.js"
import { EMBEDDED_SESSION } from "../src/sql/PgliteClient.js"
import { findTemplate, installTemplate, templateFileName } from "../src/sql/PgliteTemplate.js"

const withLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ message }) => lines.push((Array.isArray(message) ? message : [message]).join(" ")))
    const result = yield* effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return { result, lines }
  })

const session = <A, E>(dir: string, effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
  withLogs(Effect.scoped(effect.pipe(Effect.provide(Database.layerPglite(dir)))))

describe("the embedded database", () => {
  it("ships a template for the installed PGlite", () => {
    assert.isDefined(
      findTemplate(),
      `${templateFileName()} is missing: run npx tsx packages/orchestrator/src/sql/WritePgliteTemplate.ts`
    )
  })

  it.live("a new data directory is created from the template, says so, keeps its data and reopens", () =>
    Effect.gen(function*() {
      const parent = mkdtempSync(join(tmpdir(), "pipeweave-embedded-"))
      const dir = join(parent, "db")

      const first = yield* session(dir, Effect.gen(function*() {
        const sql = yield* SqlClient.SqlClient
        yield* sql`CREATE TABLE probe (n int)`
        yield* sql`INSERT INTO probe VALUES (42)`
        return yield* sql<{ sharedBuffers: string }>`SHOW shared_buffers`
      }))
      assert.strictEqual(first.lines[0], `Creating the embedded database at ${dir} from the bundled template (first start)`)
      assert.match(first.lines[1] ?? "", /^Applied migrations 0001_init, 0002_pipelines/)
      assert.strictEqual(first.result[0]?.sharedBuffers, "16MB")
      assert.isTrue(existsSync(join(dir, "PG_VERSION")))
      assert.deepStrictEqual(readdirSync(parent), ["db"])

      const second = yield* session(dir, Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ n: number }>`SELECT n FROM probe`))
      assert.deepStrictEqual(second.lines, [`Opening the embedded database at ${dir}`])
      assert.deepStrictEqual(second.result, [{ n: 42 }])
      rmSync(parent, { recursive: true, force: true })
    }), { timeout: 120_000 })

  it.live("a data directory from an earlier version (0755 directories, 0666 files) is made owner-only when opened", () =>
    Effect.gen(function*() {
      const parent = mkdtempSync(join(tmpdir(), "pipeweave-embedded-"))
      const dir = join(parent, "db")
      yield* session(dir, Effect.void)
      const entries = (root: string): Array<string> =>
        readdirSync(root, { withFileTypes: true }).flatMap((e) =>
          e.isDirectory() ? [join(root, e.name), ...entries(join(root, e.name))] : [join(root, e.name)])
      for (const path of [parent, dir, ...entries(dir)]) chmodSync(path, lstatSync(path).isDirectory() ? 0o755 : 0o666)

      const reopened = yield* session(dir, Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT 1`))
      assert.deepStrictEqual(reopened.lines.slice(0, 2), [
        `Restricted ${parent} to its owner (mode 755 -> 700)`,
        `Restricted ${dir} to its owner (mode 755 -> 700)`
      ])
      assert.match(reopened.lines[2] ?? "", new RegExp(`^Removed group and other permissions from \\d+ entries under ${dir}$`))
      assert.deepStrictEqual([parent, dir].map((path) => lstatSync(path).mode & 0o777), [0o700, 0o700])
      assert.deepStrictEqual(entries(dir).filter((path) => (lstatSync(path).mode & 0o022) !== 0), [])

      const again = yield* session(dir, Effect.void)
      assert.deepStrictEqual(again.lines, [`Opening the embedded database at ${dir}`])
      rmSync(parent, { recursive: true, force: true })
    }), { timeout: 120_000 })

  it.live("its one session is named, and notifications carry that name, so the scheduler knows its own changes", () =>
    Effect.gen(function*() {
      const pg = yield* PgClient.PgClient
      assert.strictEqual(pg.config.applicationName, EMBEDDED_SESSION)
      const heard = yield* pg.listen("pipeweave_probe").pipe(Stream.take(1), Stream.runCollect, Effect.fork)
      // Notified until heard: the listener subscribes in its own fiber.
      const notifying = pg`SELECT pg_notify('pipeweave_probe', current_setting('application_name', true))`.pipe(
        Effect.zipRight(Effect.sleep("5 millis")),
        Effect.forever
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Effect.race(Fiber.join(heard), notifying)), [EMBEDDED_SESSION])
    }).pipe(Effect.provide(Database.layerPglite()), Effect.scoped))

  it("leaves a directory that already has content to PGlite", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "pipeweave-embedded-")), "db")
    mkdirSync(dir)
    writeFileSync(join(dir, "notes.txt"), "not a database")
    assert.isFalse(installTemplate(dir))
    assert.deepStrictEqual(readdirSync(dir), ["notes.txt"])
    rmSync(dir, { recursive: true, force: true })
  })
})
