import { NodeFileSystem, NodePath } from "@effect/platform-node"
import type { InvalidSecretKey } from "@pipeweave/storage/Crypto"
import { Effect, Layer } from "effect"
import { type RunLocalOptions, runLocalAttempt } from "./runLocalAttempt.js"
import type { RegistrationFailed } from "./registerWorker.js"
import { type ListenFailed, type ListenOptions, serveWorker } from "./serveWorker.js"
import type { TaskContext } from "./TaskContext.js"
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
 */
export type TaskHandler<I = any, O = unknown> = (ctx: TaskContext<I>) => Effect.Effect<O | TaskResult<O>, unknown>

/** A worker definition for the Effect API: register tasks, then provide `Worker.layer`. */
export interface Worker {
  /** Registers a task with default options. */
  register<I = any, O = unknown>(id: string, handler: TaskHandler<I, O>): Worker
  /** Registers a task with options (spec "Task Options"). Throws when an option is invalid. */
  register<I = any, O = unknown>(id: string, options: TaskOptions<I>, handler: TaskHandler<I, O>): Worker
  /** Declares a named pipeline starting at `entry`. */
  pipeline(id: string, options: PipelineOptions): Worker
}

class EffectWorker implements Worker {
  readonly definition: WorkerDefinition

  constructor(config: WorkerConfig) {
    this.definition = new WorkerDefinition(config)
  }

  register(id: string, ...args: [TaskHandler] | [TaskOptions, TaskHandler]): Worker {
    const [options, handler] = args.length === 1 ? [{}, args[0]] : args
    if (typeof handler !== "function") throw new Error(`[PipeWeave] task '${id}': the handler must be a function`)
    this.definition.addTask(makeTaskDefinition(id, options, handler, handler.toString()))
    return this
  }

  pipeline(id: string, options: PipelineOptions): Worker {
    this.definition.addPipeline(id, options)
    return this
  }
}

const definitionOf = (worker: Worker): WorkerDefinition => {
  if (!(worker instanceof EffectWorker)) throw new Error("[PipeWeave] expected a worker made by Worker.make")
  return worker.definition
}

/** Starts a worker definition; the configuration is checked when the worker is served or run. */
export const make = (config: WorkerConfig): Worker => new EffectWorker(config)

/**
 * Serves the worker on `port` and registers it (retrying until the orchestrator answers; a 4xx
 * answer fails the layer with `RegistrationFailed`). Releasing the layer interrupts running tasks
 * and stops the server.
 */
export const layer = (
  worker: Worker,
  options: ListenOptions
): Layer.Layer<never, InvalidWorkerConfig | InvalidSecretKey | ListenFailed | RegistrationFailed> => {
  const definition = definitionOf(worker)
  return Layer.unwrapEffect(Effect.map(definition.config, (config) =>
    Layer.scopedDiscard(serveWorker(definition, options)).pipe(Layer.provide(workerServicesLayer(config)))))
}

/**
 * Runs a task's handler in-process with no orchestrator and no network (in-memory storage, a
 * temp dir, no timeout); succeeds with the handler's return value, fails with its failure.
 * Idempotency does not apply: `idempotencyKey` is not called and the handler always runs.
 */
export const runLocal = (worker: Worker, taskId: string, options: RunLocalOptions): Effect.Effect<any, unknown> => {
  const definition = definitionOf(worker)
  return Effect.flatMap(definition.config, (config) =>
    runLocalAttempt(definition, taskId, options).pipe(
      Effect.provideService(WorkerSettings, config),
      Effect.provide(Layer.mergeAll(layerWorkerLog(config.logger, config.silent), NodeFileSystem.layer, NodePath.layer))
    ))
}

export type { RunLocalOptions }
