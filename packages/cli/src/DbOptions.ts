import { Options } from "@effect/cli"
import { Config, Effect, type Option, type Redacted } from "effect"
import type { CliFailure } from "./CliFailure.js"

/** Options of the `db` commands: `--url` (PostgreSQL), `--data-dir` (embedded PGlite), `--schema`, `--json`. */
export const dbOptions = {
  url: Options.redacted("url").pipe(
    Options.withFallbackConfig(Config.redacted("DATABASE_URL")),
    Options.optional,
    Options.withDescription("PostgreSQL URL (default: env DATABASE_URL; when absent, the embedded PGlite database)")
  ),
  dataDir: Options.text("data-dir").pipe(
    Options.withFallbackConfig(Config.string("PIPEWEAVE_DATA_DIR").pipe(Config.withDefault(".pipeweave"))),
    Options.withDescription("Data directory of the embedded database, used at <data-dir>/db (default: env PIPEWEAVE_DATA_DIR, else ./.pipeweave)")
  ),
  schema: Options.text("schema").pipe(
    Options.withFallbackConfig(Config.string("DATABASE_SCHEMA").pipe(Config.withDefault("pipeweave"))),
    Options.withDescription("Schema holding PipeWeave's tables (default: env DATABASE_SCHEMA, else pipeweave)")
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print the result as JSON"))
}

/** Parsed `dbOptions`. */
export interface DbOptions {
  readonly url: Option.Option<Redacted.Redacted<string>>
  readonly dataDir: string
  readonly schema: string
  readonly json: boolean
}

/**
 * Runs a `db` command's action, loading `DbActions` (and with it the SQL clients, PGlite and the
 * orchestrator's migrations) only now: the commands that talk HTTP never load database code.
 */
export const dbAction = (run: (actions: typeof import("./DbActions.js")) => Effect.Effect<void, CliFailure>) =>
  Effect.flatMap(Effect.promise(() => import("./DbActions.js")), run)
