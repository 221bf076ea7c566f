import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { ConfigProvider, Console, Effect, Layer } from "effect"
import { cli } from "../../src/Cli.js"

/** What one CLI invocation printed and returned. */
export interface CliResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, "")

const capturingConsole = (stdout: Array<string>, stderr: Array<string>): Console.Console => {
  const to = (sink: Array<string>) => (...args: ReadonlyArray<unknown>) =>
    Effect.sync(() => {
      sink.push(stripAnsi(args.map(String).join(" ")))
    })
  return {
    [Console.TypeId]: Console.TypeId,
    assert: () => Effect.void,
    clear: Effect.void,
    count: () => Effect.void,
    countReset: () => Effect.void,
    debug: to(stderr),
    dir: to(stdout),
    dirxml: to(stdout),
    error: to(stderr),
    group: () => Effect.void,
    groupEnd: Effect.void,
    info: to(stdout),
    log: to(stdout),
    table: to(stdout),
    time: () => Effect.void,
    timeEnd: () => Effect.void,
    timeLog: () => Effect.void,
    trace: to(stderr),
    warn: to(stderr),
    unsafe: globalThis.console
  }
}

/**
 * Runs `pipeweave <args>` in-process, as `bin.ts` does (Node context, node:http client), with
 * `env` as the only environment the options' fallbacks see; captures stdout and stderr.
 */
export const runCli = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const exitCode = yield* cli(["node", "pipeweave", ...args]).pipe(
      Effect.withConsole(capturingConsole(stdout, stderr)),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layer))
    )
    return { exitCode, stdout: stdout.join("\n"), stderr: stderr.join("\n") } satisfies CliResult
  })
