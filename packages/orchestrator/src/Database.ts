import { randomBytes } from "node:crypto"
import { join } from "node:path"
import type { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import type { MigrationError } from "@effect/sql/Migrator"
import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { OrchestratorSettings } from "./Config.js"
import type { DataDirInUse } from "./sql/DataDirLock.js"
import { DEFAULT_SCHEMA, withSearchPath } from "./sql/DatabaseSchema.js"
import { runMigrations } from "./sql/Migrations.js"
import { acquirePreparingPool } from "./sql/PreparingPool.js"
import { camelColumnNames } from "./sql/ColumnNames.js"

/** Which database the orchestrator runs on. */
export class DatabaseInfo extends Context.Tag("@pipeweave/orchestrator/DatabaseInfo")<
  DatabaseInfo,
  { readonly dialect: "pglite" | "postgres"; readonly location: string; readonly schema: string }
>() {}

type DatabaseLayer = Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | DatabaseInfo,
  SqlError | MigrationError | DataDirInUse
>

const movedFromPublic = (schema: string) => (moved: ReadonlyArray<string>) =>
  Effect.logInfo(`Moved PipeWeave's tables and functions from schema public to schema ${schema}: ${moved.join(", ")}`)

const applyMigrations = (schema: string) => Effect.flatMap(runMigrations(schema, movedFromPublic(schema)), (applied) =>
  applied.length === 0
    ? Effect.void
    : Effect.logInfo(`Applied migrations ${applied.map(([id, name]) => `${`${id}`.padStart(4, "0")}_${name}`).join(", ")}`))

const migrated = <E>(client: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, E>, info: DatabaseInfo["Type"]) =>
  Layer.effectDiscard(applyMigrations(info.schema)).pipe(
    Layer.provideMerge(client),
    Layer.merge(Layer.succeed(DatabaseInfo, info))
  )

/**
 * `url` naming its sessions `{name}/{random}`: `name` is the URL's own `application_name` when it
 * has one, else `applicationName`. The name goes into the URL because pg lets the URL's parameters
 * override the pool's.
 */
const withSessionName = (url: string, applicationName: string): { readonly url: string; readonly session: string } => {
  const parsed = new URL(url)
  const base = (parsed.searchParams.get("application_name") || applicationName).slice(0, 50)
  const session = `${base}/${randomBytes(6).toString("base64url")}`
  parsed.searchParams.set("application_name", session)
  return { url: parsed.toString(), session }
}

/**
 * PostgreSQL through @effect/sql-pg, every connection in `schema`, migrated. Its sessions are named
 * `{applicationName}/{random}` (or `{the URL's application_name}/{random}`), the same for every
 * connection of one layer and no other.
 */
export const layerPostgres = (
  url: Redacted.Redacted<string>,
  applicationName = "pipeweave-orchestrator",
  schema = DEFAULT_SCHEMA,
  preparedStatements = true
): DatabaseLayer => {
  const { session, url: named } = withSessionName(withSearchPath(Redacted.value(url), schema), applicationName)
  return migrated(
    PgClient.layerFromPool({
      acquire: acquirePreparingPool(
        { connectionString: named, application_name: session },
        Duration.seconds(5),
        preparedStatements
      ),
      applicationName: session,
      transformResultNames: camelColumnNames(),
      transformJson: false
    }),
    { dialect: "postgres", location: "DATABASE_URL", schema }
  )
}

const opening = {
  existing: (dir: string) => `Opening the embedded database at ${dir}`,
  template: (dir: string) => `Creating the embedded database at ${dir} from the bundled template (first start)`,
  initdb: (dir: string) =>
    `Creating the embedded database at ${dir}: the first start runs PostgreSQL's initdb inside PGlite, ` +
    "which takes 5-15 s and leaves ~500 MB resident until the next restart"
}

/**
 * The embedded PGlite database under `dataDir` (in memory when absent), migrated. The directory is
 * held by this process while the layer lives (a second opener fails with `DataDirInUse`). PGlite
 * is imported only here, so a PostgreSQL orchestrator never loads it.
 */
export const layerPglite = (dataDir?: string, holder = "orchestrator", schema = DEFAULT_SCHEMA): DatabaseLayer =>
  migrated(
    Layer.unwrapEffect(Effect.map(
      Effect.promise(() => import("./sql/PgliteClient.js")),
      (PgliteClient) =>
        PgliteClient.layer({
          dataDir,
          holder,
          schema,
          transformResultNames: camelColumnNames(),
          onOpen: (kind) => dataDir === undefined ? Effect.void : Effect.logInfo(opening[kind](dataDir))
        })
    )),
    { dialect: "pglite", location: dataDir ?? "memory", schema }
  )

/** PostgreSQL when `DATABASE_URL` is set, else PGlite under `{PIPEWEAVE_DATA_DIR}/db`. */
export const layer = (settings: OrchestratorSettings): DatabaseLayer =>
  Option.match(settings.databaseUrl, {
    onNone: () => layerPglite(join(settings.dataDir, "db"), undefined, settings.databaseSchema),
    onSome: (url) => layerPostgres(url, undefined, settings.databaseSchema, settings.databasePreparedStatements)
  })
