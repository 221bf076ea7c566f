import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Data, Effect, type Scope } from "effect"
import { createServer } from "node:http"
import { makeDispatchRouter } from "./DispatchRouter.js"
import { OrchestratorClient } from "./OrchestratorClient.js"
import { type RegistrationFailed, registerWorker } from "./registerWorker.js"
import type { WorkerDefinition } from "./WorkerDefinition.js"
import { WorkerLog } from "./WorkerLog.js"
import type { WorkerServices } from "./WorkerServices.js"
import { WorkerSettings } from "./WorkerSettings.js"

/** The HTTP server could not listen (the port is taken, say). */
export class ListenFailed extends Data.TaggedError("ListenFailed")<{ readonly message: string; readonly cause: unknown }> {}

/** Where `listen` binds. */
export interface ListenOptions {
  readonly port: number
  readonly host?: string | undefined
}

/** The address a serving worker is reachable at. */
export interface WorkerAddress {
  readonly port: number
  readonly baseUrl: string
}

/**
 * Starts the HTTP server, then registers with the orchestrator (retrying until it answers) and
 * prints the start-up lines. Closing the scope interrupts running executions and stops the server.
 */
export const serveWorker = (
  definition: WorkerDefinition,
  options: ListenOptions
): Effect.Effect<WorkerAddress, ListenFailed | RegistrationFailed, Scope.Scope | WorkerServices> =>
  Effect.gen(function*() {
    const config = yield* WorkerSettings
    const server = yield* NodeHttpServer.make(() => createServer(), {
      port: options.port,
      ...(options.host === undefined ? {} : { host: options.host })
    }).pipe(Effect.mapError((error) => {
      const reason = error.cause instanceof Error ? error.cause.message : String(error.cause)
      return new ListenFailed({ message: `[PipeWeave] cannot listen on port ${options.port}: ${reason}`, cause: error.cause })
    }))
    const executions = yield* Effect.scope
    const router = yield* makeDispatchRouter(definition, executions)
    yield* HttpServer.serveEffect(router).pipe(Effect.provideService(HttpServer.HttpServer, server))
    const port = server.address._tag === "TcpAddress" ? server.address.port : options.port
    const baseUrl = config.baseUrl ?? `http://127.0.0.1:${port}`
    const { log } = yield* WorkerLog
    yield* registerWorker({
      definition,
      config,
      client: yield* OrchestratorClient,
      crypto: yield* Crypto,
      baseUrl,
      port,
      log
    })
    return { port, baseUrl }
  })
