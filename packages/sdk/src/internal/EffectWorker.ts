import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import type { InvalidSecretKey } from "@pipeweave/storage/Crypto"
import { type Context, Effect, Layer } from "effect"
import { type RunLocalOptions, runLocalAttempt } from "./runLocalAttempt.js"
import type { RegistrationFailed } from "./registerWorker.js"
import { type ListenFailed, type ListenOptions, serveWorker } from "./serveWorker.js"
import type { CoreHandler, TaskContext } from "./TaskContext.js"
import { makeTaskDefinition, type TaskOptions } from "./TaskDefinition.js"
import type { TaskResult } from "./TaskResult.js"
import type { InvalidWorkerConfig, WorkerConfig } from "./WorkerConfig.js"
import { type PipelineOptions, WorkerDefinition } from "./WorkerDefinition.js"
import { layerWorkerLog } from "./WorkerLog.js"
import { workerServicesLayer } from "./WorkerServices.js"
import { WorkerSettings } from "./WorkerSettings.js"

/**
 * An Effect task handler. It fails with the domain's `TaskError`, `RateLimited` or `Timeout` to
 * report a structured failure; any other failure or defect is a retryable error with its message.
 * It may require services (`R`): `Worker.layer` and `Worker.runLocal` require them in turn.
 */
export type TaskHandler<I = any, O = unknown, R = never> = (
  ctx: TaskContext<I>
) => Effect.Effect<O | TaskResult<O>, unknown, R>

/**
 * A worker definition for the Effect API: register tasks, then provide `Worker.layer`. `R` is
 * what its handlers require together.
 */
export interface Worker<R = never> {
  /** Registers a task with default options. */
  register<I = any, O = unknown, R2 = never>(id: string, handler: TaskHandler<I, O, R2>): Worker<R | R2>
  /** Registers a task with options (spec "Task Options"). Throws when an option is invalid. */
  register<I = any, O = unknown, R2 = never>(
    id: string,
    options: TaskOptions<I>,
    handler: TaskHandler<I, O, R2>
  ): Worker<R | R2>
  /** Declares a named pipeline starting at `entry`. */
  pipeline(id: string, options: PipelineOptions): Worker<R>
}

class EffectWorker implements Worker<any> {
  readonly definition: WorkerDefinition

  constructor(config: WorkerConfig) {
    this.definition = new WorkerDefinition(config)
  }

  register(id: string, ...args: [TaskHandler<any, any, any>] | [TaskOptions, TaskHandler<any, any, any>]): Worker<any> {
    const [options, handler] = args.length === 1 ? [{}, args[0]] : args
    if (typeof handler !== "function") throw new Error(`[PipeWeave] task '${id}': the handler must be a function`)
    // Its requirements are provided by `withServices` before it runs.
    this.definition.addTask(makeTaskDefinition(id, options, handler as CoreHandler, handler.toString()))
    return this
  }

  pipeline(id: string, options: PipelineOptions): Worker<any> {
    this.definition.addPipeline(id, options)
    return this
  }
}

const definitionOf = (worker: Worker<any>): WorkerDefinition => {
  if (!(worker instanceof EffectWorker)) throw new Error("[PipeWeave] expected a worker made by Worker.make")
  return worker.definition
}

/** Starts a worker definition; the configuration is checked when the worker is served or run. */
export const make = (config: WorkerConfig): Worker => new EffectWorker(config)

/** The definition with every handler given `services` (what the handlers require). */
const withServices = (definition: WorkerDefinition, services: Context.Context<any>): WorkerDefinition =>
  definition.mapHandlers((handler) => (ctx) => Effect.provide(handler(ctx), services))

/**
 * Serves the worker on `port` and registers it (retrying until the orchestrator answers; a 4xx
 * answer fails the layer with `RegistrationFailed`). Releasing the layer interrupts running tasks
 * and stops the server. The layer requires what the handlers require (`R`): provide your own
 * Layers to it once, e.g. `Worker.layer(worker, { port }).pipe(Layer.provide(MyServiceLive))`.
 */
export const layer = <R>(
  worker: Worker<R>,
  options: ListenOptions
): Layer.Layer<never, InvalidWorkerConfig | InvalidSecretKey | ListenFailed | RegistrationFailed, R> => {
  const definition = definitionOf(worker)
  return Layer.unwrapEffect(Effect.gen(function*() {
    const config = yield* definition.config
    const services = yield* Effect.context<R>()
    return Layer.scopedDiscard(serveWorker(withServices(definition, services), options)).pipe(
      Layer.provide(workerServicesLayer(config))
    )
  }))
}

/**
 * Runs a task's handler in-process with no orchestrator and no network (in-memory storage, a
 * temp dir, no timeout); succeeds with the handler's return value, fails with its failure.
 * Idempotency does not apply: `idempotencyKey` is not called and the handler always runs.
 */
export const runLocal = <R>(worker: Worker<R>, taskId: string, options: RunLocalOptions): Effect.Effect<any, unknown, R> => {
  const definition = definitionOf(worker)
  return Effect.gen(function*() {
    const config = yield* definition.config
    const services = yield* Effect.context<R>()
    return yield* runLocalAttempt(withServices(definition, services), taskId, options).pipe(
      Effect.provideService(WorkerSettings, config),
      Effect.provide(Layer.mergeAll(layerWorkerLog(config.logger, config.silent, config.log), NodeFileSystem.layer, NodePath.layer))
    )
  })
}

export type { RunLocalOptions }
