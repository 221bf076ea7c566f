import { serverSpans, tracingEnabled, withoutPlatformServerSpans } from "@pipeweave/domain/TraceContext"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Data, Duration, Effect, ExecutionStrategy, Scope } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { makeDispatchRouter } from "./DispatchRouter.js"
import { type DrainGate, makeDrainGate } from "./DrainGate.js"
import { OrchestratorClient, type OrchestratorClientShape } from "./OrchestratorClient.js"
import { type RegistrationFailed, registerWorker } from "./registerWorker.js"
import type { WorkerDefinition } from "./WorkerDefinition.js"
import { type LogLevel, WorkerLog } from "./WorkerLog.js"
import type { WorkerServices } from "./WorkerServices.js"
import type { ResolvedConfig } from "./WorkerConfig.js"
import { WorkerSettings } from "./WorkerSettings.js"
import type { CryptoShape } from "@pipeweave/storage/Crypto"

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

const DEREGISTER_TIMEOUT = Duration.seconds(5)

/**
 * The shutdown of a registered worker: refuse new dispatches (503), tell the orchestrator this
 * instance is leaving, then wait up to `shutdownGraceMs` for running tasks to finish and deliver
 * their callbacks. What still runs afterwards is interrupted when the scope goes on closing.
 */
const drain = (options: {
  readonly gate: DrainGate
  readonly config: ResolvedConfig
  readonly client: OrchestratorClientShape
  readonly crypto: CryptoShape
  readonly baseUrl: string
  readonly log: (level: LogLevel, message: string) => Effect.Effect<void>
}) =>
  Effect.gen(function*() {
    const { client, config, crypto, gate, log } = options
    yield* gate.close
    const credential = yield* crypto.signCredential(
      { _tag: "Service", serviceId: config.serviceId },
      yield* Clock.currentTimeMillis,
      300
    )
    // Finalizers run uninterruptibly; the timeouts below must be able to interrupt what they bound.
    yield* client.deregister({ serviceId: config.serviceId, baseUrl: options.baseUrl }, credential).pipe(
      Effect.interruptible,
      Effect.timeoutFail({ duration: DEREGISTER_TIMEOUT, onTimeout: () => "no answer within 5 s" }),
      Effect.catchAll((e) =>
        log("warn", `[PipeWeave] could not deregister from the orchestrator (${typeof e === "string" ? e : e.message}); stopping anyway`)
      )
    )
    const running = gate.running()
    if (running === 0) return
    yield* log("info", `[PipeWeave] shutting down: waiting up to ${config.shutdownGraceMs} ms for ${running} running task(s)`)
    const finished = yield* gate.idle.pipe(Effect.interruptible, Effect.timeout(Duration.millis(config.shutdownGraceMs)), Effect.option)
    if (finished._tag === "None") {
      yield* log("warn", `[PipeWeave] ${gate.running()} task(s) still running after ${config.shutdownGraceMs} ms: interrupting them`)
    }
  })

/**
 * Starts the HTTP server, then registers with the orchestrator (retrying until it answers) and
 * prints the start-up lines. Closing the scope drains: new dispatches get 503, the instance
 * deregisters, running tasks get `shutdownGraceMs` to finish and deliver their callbacks; then
 * what still runs is interrupted and the server stops.
 */
export const serveWorker = (
  definition: WorkerDefinition,
  options: ListenOptions
): Effect.Effect<WorkerAddress, ListenFailed | RegistrationFailed, Scope.Scope | WorkerServices> =>
  Effect.gen(function*() {
    const config = yield* WorkerSettings
    const node = createServer()
    const server = yield* NodeHttpServer.make(() => node, {
      port: options.port,
      ...(options.host === undefined ? {} : { host: options.host })
    }).pipe(Effect.mapError((error) => {
      const reason = error.cause instanceof Error ? error.cause.message : String(error.cause)
      return new ListenFailed({ message: `[PipeWeave] cannot listen on port ${options.port}: ${reason}`, cause: error.cause })
    }))
    // A child scope, closed after the drain below (finalizers run in reverse order).
    const executions = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
    const gate = yield* makeDrainGate
    const { router, serveDirectly } = yield* makeDispatchRouter(definition, executions, gate)
    const routed = yield* NodeHttpServer.makeHandler(router, serverSpans({ untraced: ["/health", "/dispatches"] })).pipe(
      withoutPlatformServerSpans
    )
    const direct = (yield* tracingEnabled) ? () => false : serveDirectly(yield* Effect.runtime<WorkerServices>())
    const onRequest = (request: IncomingMessage, response: ServerResponse) => {
      if (!direct(request, response)) routed(request, response)
    }
    node.on("request", onRequest)
    yield* Effect.addFinalizer(() => Effect.sync(() => node.off("request", onRequest)))
    const port = server.address._tag === "TcpAddress" ? server.address.port : options.port
    const baseUrl = config.baseUrl ?? `http://127.0.0.1:${port}`
    const { log } = yield* WorkerLog
    const client = yield* OrchestratorClient
    yield* client.countRunning(gate.running)
    const crypto = yield* Crypto
    yield* registerWorker({ definition, config, client, crypto, baseUrl, port, log })
    yield* Effect.addFinalizer(() => drain({ gate, config, client, crypto, baseUrl, log }))
    return { port, baseUrl }
  })
