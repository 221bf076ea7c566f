import { setFlagsFromString } from "node:v8"
import { Command, Options } from "@effect/cli"
import { Console, Effect, Either, Layer, Option, Schema } from "effect"
import { CliFailure } from "../CliFailure.js"
import { ImportModule } from "../ImportModule.js"

const INSTALL_HINT = "pipeweave dev runs the orchestrator in this process, and @pipeweave/orchestrator is not installed: " +
  "install @pipeweave/orchestrator next to the CLI (npm install @pipeweave/orchestrator@0.1.0)"

const isMissing = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    String((error as Error).message).includes("@pipeweave/orchestrator")
}

/**
 * The orchestrator's modules, loaded only here: no other command reaches the database code, and
 * the package is an optional peer dependency of the CLI.
 */
const loadOrchestrator = Effect.flatMap(ImportModule, (importModule) =>
  Effect.tryPromise({
    try: async () => {
      const [config, orchestrator, secret, logs] = await Promise.all([
        importModule("@pipeweave/orchestrator/Config") as Promise<typeof import("@pipeweave/orchestrator/Config")>,
        importModule("@pipeweave/orchestrator/Orchestrator") as Promise<typeof import("@pipeweave/orchestrator/Orchestrator")>,
        importModule("@pipeweave/orchestrator/Secret") as Promise<typeof import("@pipeweave/orchestrator/Secret")>,
        import("@pipeweave/domain/LogSettings")
      ])
      return { config, orchestrator, secret, logs }
    },
    catch: (error) =>
      isMissing(error)
        ? CliFailure.failed(INSTALL_HINT)
        : CliFailure.failed(`loading the orchestrator failed: ${error instanceof Error ? error.message : String(error)}`)
  }))

const urlOf = (host: string | undefined, port: number): string =>
  `http://${host === undefined || host === "0.0.0.0" || host === "::" || host === "127.0.0.1" ? "localhost" : host}:${port}`

const messageOf = (error: unknown): string =>
  typeof error === "object" && error !== null && typeof (error as { message?: unknown }).message === "string"
    ? (error as { message: string }).message
    : String(error)

/** `pipeweave dev [--port n] [--data-dir dir]`: a development orchestrator until Ctrl+C. */
export const DevCommand = Command.make(
  "dev",
  {
    port: Options.integer("port").pipe(
      Options.withSchema(Schema.Number.pipe(Schema.between(1, 65535, { message: () => "--port must be 1-65535" }))),
      Options.optional,
      Options.withDescription("Port to listen on (default: env PORT, else 3000)")
    ),
    dataDir: Options.text("data-dir").pipe(
      Options.optional,
      Options.withDescription("Where the embedded database, local storage and development secret live " +
        "(default: env PIPEWEAVE_DATA_DIR, else ./.pipeweave)")
    )
  },
  (options) =>
    Effect.gen(function*() {
      const { config, logs, orchestrator, secret } = yield* loadOrchestrator
      const env = {
        ...process.env,
        ...Option.match(options.port, { onNone: () => ({}), onSome: (port) => ({ PORT: String(port) }) }),
        ...Option.match(options.dataDir, { onNone: () => ({}), onSome: (dir) => ({ PIPEWEAVE_DATA_DIR: dir }) })
      }
      const parsed = config.parseConfig(env, process.stdout.isTTY === true)
      if (Either.isLeft(parsed)) return yield* CliFailure.failed(parsed.left.message)
      const settings = parsed.right
      // As the orchestrator's own entry point does: keeps the embedded database's start-up on baseline WASM code.
      if (Option.isNone(settings.databaseUrl)) setFlagsFromString("--wasm-tiering-budget=18000000")

      yield* Effect.scoped(Effect.gen(function*() {
        yield* Layer.build(orchestrator.server(settings)).pipe(
          Effect.mapError((error) => CliFailure.failed(`the orchestrator did not start: ${messageOf(error)}`))
        )
        const url = urlOf(settings.host, settings.port)
        const key = Option.isSome(settings.secretKey) ? "$PIPEWEAVE_SECRET_KEY" : `$(cat ${secret.developmentSecretPath(settings.dataDir)})`
        yield* Console.log([
          `PipeWeave orchestrator (development) at ${url}`,
          `  data dir  ${settings.dataDir}${Option.isNone(settings.databaseUrl) ? " (embedded database, local storage)" : ""}`,
          `  API docs  ${url}/docs`,
          `  workers   PIPEWEAVE_ORCHESTRATOR_URL=${url} PIPEWEAVE_SECRET_KEY=${key}`,
          "Ctrl+C stops it."
        ].join("\n"))
        return yield* Effect.never
      })).pipe(
        Effect.onInterrupt(() => Console.log("orchestrator stopped")),
        Effect.provide(logs.loggerLayer(settings.log))
      )
    })
).pipe(Command.withDescription(
  "Start a development orchestrator in this process with the embedded defaults (PGlite database, local storage " +
    "and a generated secret under --data-dir; the other orchestrator environment variables apply), print its URL and " +
    "data directory, and run until Ctrl+C. Needs the @pipeweave/orchestrator package installed"
))
