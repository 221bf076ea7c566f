import { Command, Options } from "@effect/cli"
import { Console, Effect } from "effect"
import { CliFailure } from "../CliFailure.js"
import { databaseTarget, dbOptions, withDatabase } from "../DatabaseTarget.js"
import { applyPending, dropPublicSchema, migrationName } from "../MigrationState.js"

/** `pipeweave db reset --yes`: drops the public schema and re-applies every migration. */
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
          `refusing to reset ${target.label} without --yes: it drops the whole public schema (every table, ` +
            "function and row in it) and re-applies the migrations. Add --yes to confirm."
        )
      }
      const applied = yield* withDatabase(target, Effect.zipRight(dropPublicSchema, applyPending))
      yield* Console.log(
        options.json
          ? JSON.stringify({ database: target.label, reset: true, applied }, null, 2)
          : `reset ${target.label}: dropped schema public, applied ${applied.map(migrationName).join(", ")}`
      )
    })
).pipe(Command.withDescription(
  "Delete every PipeWeave table and function and re-create them (destructive). It runs DROP SCHEMA public CASCADE " +
    "and CREATE SCHEMA public, so it also removes anything else in that schema: use it on a database dedicated to PipeWeave."
))
