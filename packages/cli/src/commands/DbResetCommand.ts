import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { CliFailure } from "../CliFailure.js"
import { databaseTarget, dbOptions, withDatabase } from "../DatabaseTarget.js"
import { migrationName, resetSchema } from "../MigrationState.js"

/** `pipeweave db reset --yes`: drops PipeWeave's schema and re-applies every migration. */
export const DbResetCommand = Command.make(
  "reset",
  {
    ...dbOptions,
    yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("Confirm: this deletes all data"))
  },
  (options) =>
    Effect.gen(function*() {
      const target = yield* databaseTarget(options)
      if (!options.yes) {
        return yield* CliFailure.usage(
          `refusing to reset ${target.label} without --yes: it drops schema ${target.schema} (every PipeWeave ` +
            "table, function and row) and re-applies the migrations. Add --yes to confirm."
        )
      }
      const applied = yield* withDatabase(target, resetSchema(target.schema))
      yield* Console.log(
        options.json
          ? JSON.stringify({ database: target.label, reset: true, applied }, null, 2)
          : `reset ${target.label}: dropped schema ${target.schema}, applied ${applied.map(migrationName).join(", ")}`
      )
    })
).pipe(Command.withDescription(
  "Delete every PipeWeave table and function and re-create them (destructive). It runs DROP SCHEMA <schema> CASCADE " +
    "on PipeWeave's schema (--schema, default pipeweave) only: the application's tables in other schemas are left alone."
))
