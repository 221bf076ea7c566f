import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { SqlClient } from "@effect/sql"
import * as Migrator from "@effect/sql/Migrator"
import { Effect } from "effect"
import { DEFAULT_SCHEMA, MIGRATIONS_TABLE, prepareSchema } from "./DatabaseSchema.js"

const MIGRATION_FILE = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/

/**
 * The orchestrator package's `migrations/` folder, found by walking up from this module to the
 * package root (the first directory with a `package.json`): the same folder from the sources
 * (`src/sql`), the build (`dist/src/sql`), the bundle (`dist/orchestrator.mjs`) and an installed
 * package (`node_modules/@pipeweave/orchestrator`). `PIPEWEAVE_MIGRATIONS_DIR` overrides it.
 */
export const migrationsDir = (): string => {
  const override = process.env["PIPEWEAVE_MIGRATIONS_DIR"]?.trim()
  if (override) return override
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, "migrations")
    if (existsSync(join(candidate, "0001_init.sql"))) return candidate
    if (existsSync(join(dir, "package.json")) || dirname(dir) === dir) {
      throw new Error(`cannot find the orchestrator's migrations/ folder above ${start}; set PIPEWEAVE_MIGRATIONS_DIR`)
    }
  }
}

/**
 * Migrator loader for numbered plain `.sql` files (`0001_init.sql`). Each file runs unprepared,
 * so a file may hold several statements and `$$` function bodies.
 */
export const fromSqlFiles = (directory: string): Migrator.Loader =>
  Effect.sync(() =>
    readdirSync(directory)
      .flatMap((file) => {
        const match = MIGRATION_FILE.exec(file)
        if (!match) return []
        const run = Effect.flatMap(SqlClient.SqlClient, (sql) =>
          sql.unsafe(readFileSync(join(directory, file), "utf8")).unprepared)
        return [[Number(match[1]), match[2]!, Effect.succeed(run)] as const]
      })
      .sort(([a], [b]) => a - b)
  )

/**
 * Runs every pending migration in `schema` (which the connection's `search_path` must name):
 * creates the schema, moves an earlier layout out of `public` (see `prepareSchema`), then migrates.
 * Returns the migrations applied; `onMoved` hears what was moved out of `public`, if anything.
 */
export const runMigrations = (
  schema: string = DEFAULT_SCHEMA,
  onMoved: (moved: ReadonlyArray<string>) => Effect.Effect<void> = () => Effect.void
) =>
  Effect.zipRight(
    Effect.tap(prepareSchema(schema), (moved) => moved.length === 0 ? Effect.void : onMoved(moved)),
    Effect.suspend(() =>
      Migrator.make({})({ loader: fromSqlFiles(migrationsDir()), table: `${schema}.${MIGRATIONS_TABLE}` })
    )
  )
