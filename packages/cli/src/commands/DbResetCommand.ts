import { Command, Options } from "@effect/cli"
import { dbAction, dbOptions } from "../DbOptions.js"

/** `pipeweave db reset --yes`: drops PipeWeave's schema and re-applies every migration. */
export const DbResetCommand = Command.make(
  "reset",
  {
    ...dbOptions,
    yes: Options.boolean("yes").pipe(Options.withAlias("y"), Options.withDescription("Confirm: this deletes all data"))
  },
  (options) => dbAction((db) => db.reset(options))
).pipe(Command.withDescription(
  "Delete every PipeWeave table and function and re-create them (destructive). It runs DROP SCHEMA <schema> CASCADE " +
    "on PipeWeave's schema (--schema, default pipeweave) only: the application's tables in other schemas are left alone."
))
