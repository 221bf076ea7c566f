import { mkdirSync } from "node:fs"
import { join } from "node:path"
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { MigrationError } from "@effect/sql/Migrator"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Option, type Redacted, String } from "effect"
import type { OrchestratorSettings } from "./Config.js"
import { runMigrations } from "./sql/Migrations.js"
import * as PgliteClient from "./sql/PgliteClient.js"

/** Which database the orchestrator runs on. */
export class DatabaseInfo extends Context.Tag("@pipeweave/orchestrator/DatabaseInfo")<
  DatabaseInfo,
  { readonly dialect: "pglite" | "postgres"; readonly location: string }
>() {}

type DatabaseLayer = Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo,
  SqlError | MigrationError
>

const migrated = <E>(client: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, E>, info: DatabaseInfo["Type"]) =>
  Layer.effectDiscard(runMigrations).pipe(
    Layer.provideMerge(client),
    Layer.merge(Layer.succeed(DatabaseInfo, info))
  )

/** PostgreSQL through @effect/sql-pg, migrated. */
export const layerPostgres = (url: Redacted.Redacted<string>, applicationName = "pipeweave-orchestrator"): DatabaseLayer =>
  migrated(
    PgClient.layer({ url, applicationName, transformResultNames: String.snakeToCamel, transformJson: false }),
    { dialect: "postgres", location: "DATABASE_URL" }
  )

/** The embedded PGlite database under `dataDir` (in memory when absent), migrated. */
export const layerPglite = (dataDir?: string): DatabaseLayer =>
  migrated(
    Layer.unwrapEffect(Effect.sync(() => {
      if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true })
      return PgliteClient.layer({ dataDir, transformResultNames: String.snakeToCamel })
    })),
    { dialect: "pglite", location: dataDir ?? "memory" }
  )

/** PostgreSQL when `DATABASE_URL` is set, else PGlite under `{PIPEWEAVE_DATA_DIR}/db`. */
export const layer = (settings: OrchestratorSettings): DatabaseLayer =>
  Option.match(settings.databaseUrl, {
    onNone: () => layerPglite(join(settings.dataDir, "db")),
    onSome: (url) => layerPostgres(url)
  })
