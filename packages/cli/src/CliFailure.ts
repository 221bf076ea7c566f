import { Data } from "effect"

/**
 * A failure the CLI reports as one line on stderr: exit code 1 for a failed operation, 2 for a
 * usage error (a bad option value the parser could not catch), 3 for a pipeline run that ended
 * `partial`, 124 when `--timeout` ran out while waiting. An empty message prints nothing: the
 * command has already shown why.
 */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly message: string
  readonly exitCode: 1 | 2 | 3 | 124
}> {
  /** An operation failed (bad input, unreachable server, error answer). */
  static failed(message: string): CliFailure {
    return new CliFailure({ message, exitCode: 1 })
  }

  /** The command line itself is wrong. */
  static usage(message: string): CliFailure {
    return new CliFailure({ message, exitCode: 2 })
  }

  /** The command printed its outcome; only the exit code (and `message`, if any) is left to give. */
  static exit(exitCode: 1 | 3 | 124, message = ""): CliFailure {
    return new CliFailure({ message, exitCode })
  }
}
