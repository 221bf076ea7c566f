import { Command, ValidationError } from "@effect/cli"
import { Cause, Console, Effect, Option } from "effect"
import { CliFailure } from "./CliFailure.js"
import { CancelCommand } from "./commands/CancelCommand.js"
import { DbCommand } from "./commands/DbCommand.js"
import { DevCommand } from "./commands/DevCommand.js"
import { DlqCommand } from "./commands/DlqCommand.js"
import { DryRunCommand } from "./commands/DryRunCommand.js"
import { HistoryCommand } from "./commands/HistoryCommand.js"
import { InitCommand } from "./commands/InitCommand.js"
import { ItemsCommand } from "./commands/ItemsCommand.js"
import { LogsCommand } from "./commands/LogsCommand.js"
import { PipelinesCommand } from "./commands/PipelinesCommand.js"
import { QueueCommand } from "./commands/QueueCommand.js"
import { QueueStatusCommand } from "./commands/QueueStatusCommand.js"
import { RunsCommand } from "./commands/RunsCommand.js"
import { ServicesCommand } from "./commands/ServicesCommand.js"
import { StatusCommand } from "./commands/StatusCommand.js"
import { TriggerCommand } from "./commands/TriggerCommand.js"
import { withTidyConsole } from "./TidyConsole.js"
import { VERSION } from "./Version.js"

/** The `pipeweave` command with every subcommand. */
export const PipeweaveCommand = Command.make("pipeweave").pipe(
  Command.withDescription("PipeWeave CLI: inspect and drive an orchestrator, manage its database, scaffold workers"),
  Command.withSubcommands([
    InitCommand,
    ServicesCommand,
    HistoryCommand,
    QueueCommand,
    StatusCommand,
    LogsCommand,
    QueueStatusCommand,
    ItemsCommand,
    PipelinesCommand,
    TriggerCommand,
    DryRunCommand,
    RunsCommand,
    CancelCommand,
    DlqCommand,
    DbCommand,
    DevCommand
  ])
)

const runCommand = Command.run(PipeweaveCommand, { name: "pipeweave", version: VERSION })

const report = (message: string, exitCode: number) =>
  Effect.as(message === "" ? Effect.void : Console.error(`error: ${message}`), exitCode)

/**
 * Runs the CLI on `argv` (`process.argv` shape: runtime, script, arguments) and returns the exit
 * code: 0 on success, 1 when the operation failed, 2 for a usage error, 3 when `trigger --wait`
 * saw its run end `partial`, 130 when interrupted. Every failure has already been printed as one
 * line on stderr (or, for an outcome the command printed itself, on stdout).
 */
export const cli = (argv: ReadonlyArray<string>) =>
  withTidyConsole(argv, runCommand(argv)).pipe(
    Effect.as(0),
    Effect.catchAllCause((cause) => {
      if (Cause.isInterruptedOnly(cause)) return Effect.succeed(130)
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure)) {
        const error = failure.value
        if (ValidationError.isValidationError(error)) return Effect.succeed(2)
        if (error instanceof CliFailure) return report(error.message, error.exitCode)
      }
      const squashed = Cause.squash(cause)
      return Effect.zipRight(
        process.env["PIPEWEAVE_DEBUG"] ? Console.error(Cause.pretty(cause)) : Effect.void,
        report(`unexpected failure: ${squashed instanceof Error ? squashed.message : String(squashed)}` +
          (process.env["PIPEWEAVE_DEBUG"] ? "" : " (set PIPEWEAVE_DEBUG=1 for details)"), 1)
      )
    })
  )
