import { Data } from "effect"

/**
 * A failure the CLI reports as one line on stderr: exit code 1 for a failed operation, 2 for a
 * usage error (a bad option value the parser could not catch).
 */
export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly message: string
  readonly exitCode: 1 | 2
}> {
  /** An operation failed (bad input, unreachable server, error answer). */
  static failed(message: string): CliFailure {
    return new CliFailure({ message, exitCode: 1 })
  }

  /** The command line itself is wrong. */
  static usage(message: string): CliFailure {
    return new CliFailure({ message, exitCode: 2 })
  }
}
