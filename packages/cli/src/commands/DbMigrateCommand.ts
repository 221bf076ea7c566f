import { Command } from "@effect/cli"
import { Console, Effect } from "effect"
import { databaseTarget, type DbOptions, dbOptions, withDatabase } from "../DatabaseTarget.js"
import { applyPending, migrationName, migrationState } from "../MigrationState.js"

/** Applies pending migrations and reports them; `init` and `migrate` differ only in wording. */
export const applyMigrations = (verb: "initialised" | "migrated") => (options: DbOptions) =>
  Effect.gen(function*() {
    const target = yield* databaseTarget(options)
    const { applied, state } = yield* withDatabase(
      target,
      Effect.all({ applied: applyPending(target.schema), state: migrationState(target.schema) })
    )
    if (options.json) {
      return yield* Console.log(JSON.stringify({ database: target.label, applied, upToDate: applied.length === 0 }, null, 2))
    }
    const latest = state.applied.at(-1)
    yield* Console.log(
      applied.length > 0
        ? `${verb} ${target.label}: applied ${applied.map(migrationName).join(", ")}`
        : `${target.label} is up to date (latest migration: ${latest ? migrationName(latest) : "none"})`
    )
  })

/** `pipeweave db migrate`: applies pending migrations. */
export const DbMigrateCommand = Command.make("migrate", dbOptions, applyMigrations("migrated")).pipe(
  Command.withDescription("Apply pending migrations and list them")
)
