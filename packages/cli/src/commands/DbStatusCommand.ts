import { Command } from "@effect/cli"
import { dbAction, dbOptions } from "../DbOptions.js"

/** `pipeweave db status`: applied and pending migrations, without applying anything. */
export const DbStatusCommand = Command.make("status", dbOptions, (options) => dbAction((db) => db.showStatus(options))).pipe(
  Command.withDescription("List applied and pending migrations (applies nothing)")
)
