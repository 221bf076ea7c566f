import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { CliFailure } from "./CliFailure.js"
import { orchestratorSql } from "./OrchestratorSql.js"

/** A migration by number and name (`1`, `init` for `0001_init.sql`). */
export interface MigrationRef {
  readonly id: number
  readonly name: string
}

/**
 * Applied migrations (with when) and the ones `migrate` would apply; `schema` is where the
 * bookkeeping was read: `public` for a database from before the schema (the next migrate moves it).
 */
export interface MigrationState {
  readonly schema: string
  readonly applied: ReadonlyArray<MigrationRef & { readonly appliedAt: Date }>
  readonly pending: ReadonlyArray<MigrationRef>
}

const AppliedRow = Schema.Struct({
  migration_id: Schema.Number,
  name: Schema.String,
  created_at: Schema.Union(Schema.DateFromSelf, Schema.Date)
})

/** The migration files shipped with the orchestrator, in order. */
export const migrationFiles: Effect.Effect<ReadonlyArray<MigrationRef>, CliFailure> = Effect.flatMap(
  orchestratorSql,
  ({ migrations }) =>
    Effect.try({
      try: () => migrations.migrationsDir(),
      catch: (error) => CliFailure.failed(error instanceof Error ? error.message : String(error))
    }).pipe(Effect.flatMap((dir) => migrations.fromSqlFiles(dir)))
).pipe(
  Effect.map((files) => files.map(([id, name]) => ({ id, name }))),
  Effect.mapError((error) => (error instanceof CliFailure ? error : CliFailure.failed(error.message)))
)

const pendingAfter = (files: ReadonlyArray<MigrationRef>, latest: number) => files.filter((file) => file.id > latest)

/** The schema whose `pipeweave_migrations` exists: `schema`, else `public` (the earlier layout), else none. */
const bookkeeping = (schema: string) =>
  Effect.gen(function*() {
    const { MIGRATIONS_TABLE, quoted } = (yield* orchestratorSql).schemas
    const sql = yield* SqlClient.SqlClient
    for (const candidate of [schema, "public"]) {
      const [table] = yield* sql<{ present: boolean }>`
        SELECT to_regclass(${`${quoted(candidate)}.${MIGRATIONS_TABLE}`}) IS NOT NULL AS present`
      if (table?.present) return candidate
    }
    return undefined
  })

/** Reads `pipeweave_migrations` in `schema` (or in `public`, from before the schema) without applying anything. */
export const migrationState = (schema: string) =>
  Effect.gen(function*() {
    const files = yield* migrationFiles
    const { MIGRATIONS_TABLE, quoted } = (yield* orchestratorSql).schemas
    const sql = yield* SqlClient.SqlClient
    const found = yield* bookkeeping(schema)
    if (found === undefined) return { schema, applied: [], pending: files } satisfies MigrationState
    const rows = yield* sql.unsafe(
      `SELECT migration_id, name, created_at FROM ${quoted(found)}.${MIGRATIONS_TABLE} ORDER BY migration_id`
    ).pipe(Effect.flatMap(Schema.decodeUnknown(Schema.Array(AppliedRow))))
    const applied = rows.map((row) => ({ id: row.migration_id, name: row.name, appliedAt: row.created_at }))
    return {
      schema: found,
      applied,
      pending: pendingAfter(files, Math.max(0, ...applied.map((m) => m.id)))
    } satisfies MigrationState
  })

/** Applies every pending migration in `schema`; returns the ones applied. */
export const applyPending = (schema: string) =>
  Effect.map(
    Effect.flatMap(orchestratorSql, ({ migrations }) => migrations.runMigrations(schema)),
    (applied): ReadonlyArray<MigrationRef> => applied.map(([id, name]) => ({ id, name }))
  )

/** Drops `schema` with everything in it (PipeWeave's tables from before the schema included), then migrates it anew. */
export const resetSchema = (schema: string) =>
  Effect.zipRight(Effect.flatMap(orchestratorSql, ({ schemas }) => schemas.dropSchema(schema)), applyPending(schema))

/** `0001_init` */
export const migrationName = (migration: MigrationRef): string => `${String(migration.id).padStart(4, "0")}_${migration.name}`
