import { Command } from "@effect/cli"
import { dbAction, dbOptions } from "../DbOptions.js"

/** `pipeweave db migrate`: applies pending migrations. */
export const DbMigrateCommand = Command.make(
  "migrate",
  dbOptions,
  (options) => dbAction((db) => db.applyMigrations("migrated", options))
).pipe(Command.withDescription("Apply pending migrations and list them"))
