import { GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { RegisterRequest, type RegisterResponse } from "@pipeweave/domain/Registration"
import { heartbeatTimeoutMs } from "@pipeweave/domain/TaskOptions"
import type { CryptoShape } from "@pipeweave/storage/Crypto"
import { Clock, Data, Duration, Effect, Schedule } from "effect"
import { DISPATCH_GROUP_LIMIT } from "./DispatchRouter.js"
import type { OrchestratorClientShape, OrchestratorError } from "./OrchestratorClient.js"
import type { ResolvedConfig } from "./WorkerConfig.js"
import type { WorkerDefinition } from "./WorkerDefinition.js"
import type { LogLevel } from "./WorkerLog.js"

/** The orchestrator rejected the registration (a 4xx answer); `message` carries its reason. */
export class RegistrationFailed extends Data.TaggedError("RegistrationFailed")<{ readonly message: string }> {}

/** Waits 200 ms, 400 ms, 800 ms … capped at 5 s, forever. */
export const registrationSchedule: Schedule.Schedule<Duration.Duration, unknown> = Schedule.exponential(
  "200 millis",
  2
).pipe(Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(5))))

/** Retries `attempt` on `registrationSchedule` while it fails with a retryable error. */
export const retryRegistration = <A>(
  attempt: Effect.Effect<A, OrchestratorError>,
  report: (message: string) => Effect.Effect<void>
): Effect.Effect<A, RegistrationFailed> =>
  attempt.pipe(
    Effect.tapError((e) => e.retryable ? report(`orchestrator not reachable (${e.message}); retrying`) : Effect.void),
    Effect.retry({ schedule: registrationSchedule, while: (e) => e.retryable }),
    Effect.mapError((e) => new RegistrationFailed({ message: `[PipeWeave] registration rejected: ${e.message}` }))
  )

/** The `RegisterRequest` of a worker reachable at `baseUrl`. */
export const registerRequestOf = (definition: WorkerDefinition, config: ResolvedConfig, baseUrl: string) =>
  new RegisterRequest({
    serviceId: config.serviceId,
    version: config.version,
    baseUrl,
    tasks: [...definition.tasks.values()].map((task) => task.registration),
    pipelines: definition.pipelines,
    takeover: config.takeover,
    dispatchGroups: DISPATCH_GROUP_LIMIT
  })

/** The spec's start-up lines, plus one line per code change and per orphan cleanup. */
export const startupLines = (
  definition: WorkerDefinition,
  config: ResolvedConfig,
  port: number,
  response: RegisterResponse
): ReadonlyArray<string> => {
  const versions = new Map(response.tasks.map((t) => [t.taskId, t.codeVersion]))
  const tasks = [...definition.tasks.values()]
  return [
    `[PipeWeave] Worker ${config.serviceId} v${config.version} on port ${port}`,
    `[PipeWeave] Task code hashes:`,
    ...tasks.map(({ id, registration: r }) => {
      const version = versions.get(id)
      const next = r.allowedNext.length === 0 ? "(end)" : `[${r.allowedNext.join(", ")}]`
      return `  • ${id} [${r.codeHash}]${version === undefined ? "" : ` v${version}`} → ${next}`
    }),
    `[PipeWeave] Heartbeat intervals:`,
    ...tasks.map(({ id, registration: r }) =>
      `  • ${id}: ${r.heartbeatIntervalMs}ms (timeout: ${heartbeatTimeoutMs(r.heartbeatIntervalMs)}ms)`
    ),
    ...response.codeChanges.map((c) =>
      c.oldHash === null
        ? `[PipeWeave] New task: ${c.taskId} v${c.newVersion} [${c.newHash}]`
        : `[PipeWeave] Code changed: ${c.taskId} v${c.oldVersion ?? "?"} → v${c.newVersion} [${c.oldHash} → ${c.newHash}]`
    ),
    ...response.orphansCancelled.filter((o) => o.cancelled > 0).map((o) =>
      `[PipeWeave] Cancelled ${o.cancelled} pending '${o.taskId}' run(s): task removed in v${config.version}`
    )
  ]
}

/**
 * Registers the worker (a fresh service credential per attempt), retrying until the orchestrator
 * answers; records the assigned code versions, groups callbacks if the orchestrator takes them,
 * and prints the start-up lines.
 */
export const registerWorker = (options: {
  readonly definition: WorkerDefinition
  readonly config: ResolvedConfig
  readonly client: OrchestratorClientShape
  readonly crypto: CryptoShape
  readonly baseUrl: string
  readonly port: number
  readonly log: (level: LogLevel, message: string) => Effect.Effect<void>
}): Effect.Effect<RegisterResponse, RegistrationFailed> =>
  Effect.gen(function*() {
    const { client, config, crypto, definition } = options
    const request = registerRequestOf(definition, config, options.baseUrl)
    const attempt = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const credential = yield* crypto.signCredential({ _tag: "Service", serviceId: config.serviceId }, now, 300)
      return yield* client.register(request, credential)
    })
    const response = yield* retryRegistration(attempt, (message) => options.log("warn", `[PipeWeave] ${message}`))
    for (const task of response.tasks) definition.codeVersions.set(task.taskId, task.codeVersion)
    yield* client.useGroupedCallbacks(response.features?.includes(GROUPED_CALLBACKS) ?? false)
    yield* Effect.forEach(startupLines(definition, config, options.port, response), (line) => options.log("info", line), {
      discard: true
    })
    return response
  })
