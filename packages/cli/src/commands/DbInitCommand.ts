import { Command } from "@effect/cli"
import { dbOptions } from "../DatabaseTarget.js"
import { applyMigrations } from "./DbMigrateCommand.js"

/** `pipeweave db init`: creates the PipeWeave schema (applies every migration not applied yet). */
export const DbInitCommand = Command.make("init", dbOptions, applyMigrations("initialised")).pipe(
  Command.withDescription("Create the PipeWeave schema on a new database (safe to re-run: applies only what is missing)")
)
