import { Command } from "@effect/cli"
import { dbAction, dbOptions } from "../DbOptions.js"

/** `pipeweave db init`: creates the PipeWeave schema (applies every migration not applied yet). */
export const DbInitCommand = Command.make(
  "init",
  dbOptions,
  (options) => dbAction((db) => db.applyMigrations("initialised", options))
).pipe(
  Command.withDescription("Create the PipeWeave schema on a new database (safe to re-run: applies only what is missing)")
)
