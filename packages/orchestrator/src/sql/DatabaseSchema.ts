import { SqlClient } from "@effect/sql"
import { Effect } from "effect"

/**
 * PipeWeave keeps its tables, functions, triggers and migrations bookkeeping in one schema of its
 * own (`DATABASE_SCHEMA`, default `pipeweave`), so it can share a database with the application.
 * Every connection puts that schema alone on its `search_path`, and the migrations name no schema,
 * so the same files create everything in whichever schema is configured.
 */

/** `DATABASE_SCHEMA` when unset. */
export const DEFAULT_SCHEMA = "pipeweave"

/** The migrations bookkeeping table, inside the schema. */
export const MIGRATIONS_TABLE = "pipeweave_migrations"

/** Why `name` cannot be the schema (a lower-case unquoted identifier, not a system schema), or undefined. */
export const schemaNameProblem = (name: string): string | undefined =>
  !/^[a-z_][a-z0-9_]*$/.test(name)
    ? `must be a lower-case identifier (letters, digits and _, not starting with a digit; got "${name}")`
    : name.length > 63
    ? `must be at most 63 characters (got ${name.length})`
    : name.startsWith("pg_") || name === "information_schema"
    ? `must not be a system schema (got "${name}")`
    : undefined

/** `"pipeweave"`: the schema as an SQL identifier (`name` is validated, so quoting is all it needs). */
export const quoted = (schema: string): string => `"${schema}"`

/**
 * `url` with `-c search_path=<schema>` added to its libpq `options`, so every pooled connection
 * (and the LISTEN connection) starts in the schema. Options already in the URL are kept; without
 * any, those of `PGOPTIONS` (`inherited`), which the URL's would override as in libpq: options
 * in the URL, even only the search path, replace `PGOPTIONS` in pg's client.
 */
export const withSearchPath = (url: string, schema: string, inherited = process.env["PGOPTIONS"]): string => {
  const parsed = new URL(url)
  const options = parsed.searchParams.get("options") ?? inherited?.trim()
  parsed.searchParams.set("options", `${options ? `${options} ` : ""}-c search_path=${schema}`)
  return parsed.toString()
}

/**
 * What the layer before the schema (every table in `public`, bookkeeping in
 * `public.pipeweave_migrations`) created: the tables and functions of migrations 0001-0005.
 * Indexes, constraints and triggers move with their tables.
 */
const LEGACY_TABLES = [
  "services",
  "service_instances",
  "tasks",
  "task_code_history",
  "task_runs",
  "task_run_attempts",
  "dead_letters",
  "pipelines",
  "pipeline_runs",
  "idempotency_keys",
  "task_run_counts",
  "task_run_count_deltas",
  MIGRATIONS_TABLE
] as const

const LEGACY_FUNCTIONS = [
  "pipeweave_notify_task_runs()",
  "pipeweave_task_runs_inserted()",
  "pipeweave_task_runs_updated()",
  "pipeweave_task_runs_deleted()"
] as const

/**
 * Creates the schema when missing and, on a database from the earlier layout (PipeWeave's
 * bookkeeping in `public` and none in the schema), moves PipeWeave's tables and functions from
 * `public` into it with `ALTER ... SET SCHEMA`: rows, indexes and triggers kept, nothing else in
 * `public` touched. One transaction under an advisory lock, so concurrent starts move it once.
 * Returns the objects moved.
 */
export const prepareSchema = (schema: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql.withTransaction(Effect.gen(function*() {
    const target = quoted(schema)
    yield* sql`SELECT pg_advisory_xact_lock(hashtext(${`pipeweave schema ${schema}`}))`
    yield* sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${target}`)
    if (schema === "public") return [] as ReadonlyArray<string>
    const [state] = yield* sql<{ legacy: boolean; current: boolean }>`
      SELECT to_regclass(${`public.${MIGRATIONS_TABLE}`}) IS NOT NULL AS legacy,
             to_regclass(${`${target}.${MIGRATIONS_TABLE}`}) IS NOT NULL AS current`
    if (!state?.legacy || state.current) return []
    const moved: Array<string> = []
    for (const table of LEGACY_TABLES) {
      const [row] = yield* sql<{ present: boolean }>`SELECT to_regclass(${`public.${table}`}) IS NOT NULL AS present`
      if (!row?.present) continue
      yield* sql.unsafe(`ALTER TABLE public.${table} SET SCHEMA ${target}`)
      moved.push(table)
    }
    for (const fn of LEGACY_FUNCTIONS) {
      const [row] = yield* sql<{ present: boolean }>`SELECT to_regprocedure(${`public.${fn}`}) IS NOT NULL AS present`
      if (!row?.present) continue
      yield* sql.unsafe(`ALTER FUNCTION public.${fn} SET SCHEMA ${target}`)
      // As migration 0006 does, so a layout that had already pinned `public` finds its tables again.
      yield* sql.unsafe(`ALTER FUNCTION ${target}.${fn} SET search_path = ${target}`)
      moved.push(fn)
    }
    return moved
  })))

/** Drops the schema with everything in it (after moving an earlier layout's tables into it, so those go too). */
export const dropSchema = (schema: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* prepareSchema(schema)
    yield* sql.unsafe(`DROP SCHEMA ${quoted(schema)} CASCADE`)
  })
