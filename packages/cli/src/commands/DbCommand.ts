import { Command } from "@effect/cli"
import { DbInitCommand } from "./DbInitCommand.js"
import { DbMigrateCommand } from "./DbMigrateCommand.js"
import { DbResetCommand } from "./DbResetCommand.js"
import { DbStatusCommand } from "./DbStatusCommand.js"

/** `pipeweave db init|migrate|status|reset`: works on the database directly, without an orchestrator. */
export const DbCommand = Command.make("db").pipe(
  Command.withDescription(
    "Manage the orchestrator's database directly: PostgreSQL with --url/DATABASE_URL, else the embedded PGlite under --data-dir"
  ),
  Command.withSubcommands([DbInitCommand, DbMigrateCommand, DbStatusCommand, DbResetCommand])
)
