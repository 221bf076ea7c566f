import { existsSync } from "node:fs"
import { join, resolve } from "node:path"
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import type { DataDirInUse } from "@pipeweave/orchestrator/sql/DataDirLock"
import { Effect, Layer, Option, Redacted } from "effect"
import { CliFailure } from "./CliFailure.js"
import type { DbOptions } from "./DbOptions.js"
import { orchestratorSql } from "./OrchestratorSql.js"

/** The database a `db` command works on, with a plain (non-migrating) client. */
export interface DatabaseTarget {
  readonly label: string
  readonly dialect: "postgres" | "pglite"
  readonly exists: boolean
  /** The schema PipeWeave's tables live in; the client's `search_path`. */
  readonly schema: string
  readonly client: Layer.Layer<SqlClient.SqlClient, SqlError | DataDirInUse | CliFailure>
}

const masked = (url: string): string => {
  const parsed = new URL(url)
  if (parsed.password !== "") parsed.password = "***"
  return parsed.toString()
}

const postgres = (url: Redacted.Redacted<string>, schema: string): Effect.Effect<DatabaseTarget, CliFailure> => {
  const text = Redacted.value(url)
  return /^postgres(ql)?:\/\//.test(text) && URL.canParse(text)
    ? Effect.succeed({
      label: `PostgreSQL ${masked(text)}`,
      dialect: "postgres",
      exists: true,
      schema,
      client: Layer.unwrapEffect(Effect.map(orchestratorSql, ({ schemas }) =>
        PgClient.layer({
          url: Redacted.make(schemas.withSearchPath(text, schema)),
          applicationName: "pipeweave-cli",
          maxConnections: 1
        })))
    })
    : Effect.fail(CliFailure.usage("--url (or DATABASE_URL) must be a postgres:// or postgresql:// URL"))
}

const pglite = (dataDir: string, schema: string): DatabaseTarget => {
  const dir = join(resolve(dataDir), "db")
  return {
    label: `embedded PGlite database at ${dir}`,
    dialect: "pglite",
    exists: existsSync(dir),
    schema,
    client: Layer.unwrapEffect(
      Effect.map(orchestratorSql, ({ pglite }) => pglite.layer({ dataDir: dir, holder: "pipeweave db", schema }))
    )
  }
}

/** PostgreSQL when `--url`/`DATABASE_URL` is given, else PGlite under `<data-dir>/db`. */
export const databaseTarget = (options: DbOptions): Effect.Effect<DatabaseTarget, CliFailure> =>
  Effect.flatMap(orchestratorSql, ({ schemas }) => {
    const problem = schemas.schemaNameProblem(options.schema)
    if (problem !== undefined) return Effect.fail(CliFailure.usage(`--schema (or DATABASE_SCHEMA) ${problem}`))
    return Option.match(options.url, {
      onNone: () => Effect.succeed(pglite(options.dataDir, options.schema)),
      onSome: (url) => postgres(url, options.schema)
    })
  })

const describe = (target: DatabaseTarget, error: unknown): string => {
  const message = error instanceof Error ? error.message : String(error)
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : ""
  const hint = target.dialect === "postgres" ? " (check --url / DATABASE_URL)" : ""
  return `${target.label}: ${message}${cause}${hint}`
}

const isDataDirInUse = (error: unknown): error is DataDirInUse => (error as { _tag?: unknown })?._tag === "DataDirInUse"

/** Runs `effect` on the target's client; database errors and failed migrations become one-line failures. */
export const withDatabase = <A, E>(
  target: DatabaseTarget,
  effect: Effect.Effect<A, E | CliFailure, SqlClient.SqlClient>
): Effect.Effect<A, CliFailure> =>
  effect.pipe(
    Effect.provide(target.client),
    Effect.catchAllDefect((defect) => Effect.fail(CliFailure.failed(describe(target, defect)))),
    Effect.mapError((error) =>
      error instanceof CliFailure
        ? error
        : CliFailure.failed(isDataDirInUse(error) ? error.message : describe(target, error))
    )
  )
