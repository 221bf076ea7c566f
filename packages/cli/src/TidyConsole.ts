import { Config, Console, Effect } from "effect"
import { fitToWidth, withoutStyles } from "./TerminalText.js"

/** Help lines fit this many columns. */
const HELP_WIDTH = 100

const isHelpRequest = (argv: ReadonlyArray<string>): boolean => argv.slice(2).some((arg) => arg === "--help" || arg === "-h")

type Print = (...args: ReadonlyArray<unknown>) => Effect.Effect<void>

/**
 * Runs `effect` (the CLI on `argv`) with a console that prints without colour codes when the
 * stream is not a terminal or `NO_COLOR` is set, and, for `--help`, with lines fitted to 100 columns.
 */
export const withTidyConsole = <A, E, R>(argv: ReadonlyArray<string>, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const console = yield* Effect.console
    const noColor = (yield* Config.string("NO_COLOR").pipe(Config.withDefault(""), Effect.orElseSucceed(() => ""))) !== ""
    const help = isHelpRequest(argv)
    const tidy = (color: boolean) => (print: Print): Print => (...args) => {
      if (args.length === 0 || (color && !help)) return print(...args)
      const text = args.map(String).join(" ")
      const plain = color ? text : withoutStyles(text)
      return print(help ? fitToWidth(plain, HELP_WIDTH) : plain)
    }
    const toStdout = tidy(!noColor && process.stdout.isTTY === true)
    const toStderr = tidy(!noColor && process.stderr.isTTY === true)
    const tidied: Console.Console = {
      ...console,
      log: toStdout(console.log),
      info: toStdout(console.info),
      error: toStderr(console.error),
      warn: toStderr(console.warn)
    }
    return yield* Effect.withConsole(effect, tidied)
  })
