import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"
import { CliFailure } from "./CliFailure.js"
import { orchestratorSql } from "./OrchestratorSql.js"

/** A migration by number and name (`1`, `init` for `0001_init.sql`). */
export interface MigrationRef {
  readonly id: number
  readonly name: string
}

/** Applied migrations (with when) and the ones `migrate` would apply. */
export interface MigrationState {
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

/** Reads `pipeweave_migrations` without applying anything. */
export const migrationState = Effect.gen(function*() {
  const files = yield* migrationFiles
  const sql = yield* SqlClient.SqlClient
  const [table] = yield* sql<{ present: boolean }>`SELECT to_regclass('pipeweave_migrations') IS NOT NULL AS present`
  if (!table?.present) return { applied: [], pending: files } satisfies MigrationState
  const rows = yield* sql`SELECT migration_id, name, created_at FROM pipeweave_migrations ORDER BY migration_id`.pipe(
    Effect.flatMap(Schema.decodeUnknown(Schema.Array(AppliedRow)))
  )
  const applied = rows.map((row) => ({ id: row.migration_id, name: row.name, appliedAt: row.created_at }))
  return { applied, pending: pendingAfter(files, Math.max(0, ...applied.map((m) => m.id))) } satisfies MigrationState
})

/** Applies every pending migration; returns the ones applied. */
export const applyPending = Effect.map(
  Effect.flatMap(orchestratorSql, ({ migrations }) => migrations.runMigrations),
  (applied): ReadonlyArray<MigrationRef> => applied.map(([id, name]) => ({ id, name }))
)

/** Drops the `public` schema with everything in it and recreates it empty. */
export const dropPublicSchema = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  yield* sql.unsafe("DROP SCHEMA public CASCADE")
  yield* sql.unsafe("CREATE SCHEMA public")
})

/** `0001_init` */
export const migrationName = (migration: MigrationRef): string => `${String(migration.id).padStart(4, "0")}_${migration.name}`
