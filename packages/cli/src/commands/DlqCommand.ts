import { Command } from "@effect/cli"
import { DlqListCommand } from "./DlqListCommand.js"
import { DlqPurgeCommand } from "./DlqPurgeCommand.js"
import { DlqRetryAllCommand } from "./DlqRetryAllCommand.js"
import { DlqRetryCommand } from "./DlqRetryCommand.js"
import { DlqShowCommand } from "./DlqShowCommand.js"

/** `pipeweave dlq list|show|retry|retry-all|purge`: the dead letter queue. */
export const DlqCommand = Command.make("dlq").pipe(
  Command.withDescription("Inspect, retry and purge the dead letter queue: task runs that failed after all their retries"),
  Command.withSubcommands([DlqListCommand, DlqShowCommand, DlqRetryCommand, DlqRetryAllCommand, DlqPurgeCommand])
)
