import { Cause, Effect, Either, Exit, ManagedRuntime, Scope } from "effect"
import { adaptPromiseHandler, type TaskHandler } from "./PromiseContext.js"
import { isRunLocalOptions, runLocalAttempt, type RunLocalOptions } from "./runLocalAttempt.js"
import { serveWorker } from "./serveWorker.js"
import { makeTaskDefinition, type TaskOptions } from "./TaskDefinition.js"
import type { ResolvedConfig, WorkerConfig } from "./WorkerConfig.js"
import { type PipelineOptions, WorkerDefinition } from "./WorkerDefinition.js"
import { promiseWorkerLayer, type WorkerServices } from "./WorkerServices.js"

const runWith = async <A, E, R, ER>(
  runtime: ManagedRuntime.ManagedRuntime<R, ER>,
  effect: Effect.Effect<A, E, R>,
  signal?: AbortSignal
): Promise<A> => {
  const exit = await runtime.runPromiseExit(effect, signal === undefined ? undefined : { signal })
  if (Exit.isSuccess(exit)) return exit.value
  throw Cause.squash(exit.cause)
}

/** A worker built by `createWorker`: register tasks, then `listen`. */
export interface Worker {
  /** Registers a task with default options; the handler's source is hashed for code versioning. */
  register<I = any, O = unknown>(id: string, handler: TaskHandler<I, O>): Worker
  /** Registers a task with options (spec "Task Options"). Throws when an option is invalid. */
  register<I = any, O = unknown>(id: string, options: TaskOptions<I>, handler: TaskHandler<I, O>): Worker
  /** Declares a named pipeline starting at `entry`. */
  pipeline(id: string, options: PipelineOptions): Worker
  /**
   * Serves dispatches on `port` (all interfaces unless `host`), registers, and resolves once
   * registered. Unless `handleSignals: false`, SIGTERM and SIGINT then `stop()` the worker and
   * exit the process (code 0 once drained, 1 if stopping failed); a second signal kills it at once.
   */
  listen(port: number, host?: string): Promise<void>
  /**
   * Drains and stops: new dispatches get 503 (the orchestrator sends them elsewhere or keeps them
   * pending, spending no attempt), the instance deregisters, running tasks get `shutdownGraceMs`
   * to finish and deliver their callbacks (then they are interrupted); then the worker's resources
   * are released.
   */
  stop(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

class PromiseWorker implements Worker {
  readonly definition: WorkerDefinition
  private readonly config: ResolvedConfig
  private runtime: ManagedRuntime.ManagedRuntime<WorkerServices, unknown> | undefined
  private scope: Scope.CloseableScope | undefined
  private starting: AbortController | undefined
  private signals: (() => void) | undefined

  constructor(config: WorkerConfig) {
    this.definition = new WorkerDefinition(config)
    if (Either.isLeft(this.definition.config)) throw new Error(`[PipeWeave] ${this.definition.config.left.message}`)
    this.config = this.definition.config.right
  }

  register(id: string, ...args: [TaskHandler] | [TaskOptions, TaskHandler]): Worker {
    const [options, handler] = args.length === 1 ? [{}, args[0]] : args
    if (typeof handler !== "function") throw new Error(`[PipeWeave] task '${id}': the handler must be a function`)
    this.definition.addTask(makeTaskDefinition(id, options, adaptPromiseHandler(handler), handler.toString()))
    return this
  }

  pipeline(id: string, options: PipelineOptions): Worker {
    this.definition.addPipeline(id, options)
    return this
  }

  run<A, E>(effect: Effect.Effect<A, E, WorkerServices>): Promise<A> {
    this.runtime ??= ManagedRuntime.make(promiseWorkerLayer(this.config))
    return runWith(this.runtime, effect)
  }

  async listen(port: number, host?: string): Promise<void> {
    if (this.scope !== undefined) throw new Error("[PipeWeave] this worker is already listening")
    const runtime = this.runtime ??= ManagedRuntime.make(promiseWorkerLayer(this.config))
    const scope = await runWith(runtime, Scope.make())
    const starting = new AbortController()
    this.scope = scope
    this.starting = starting
    try {
      await runWith(runtime, Scope.extend(serveWorker(this.definition, { port, host }), scope), starting.signal)
    } catch (error) {
      if (starting.signal.aborted) throw new Error("[PipeWeave] the worker was stopped before it finished registering")
      this.scope = undefined
      await runWith(runtime, Scope.close(scope, Exit.void))
      throw error
    } finally {
      if (this.starting === starting) this.starting = undefined
    }
    if (this.config.handleSignals && this.scope === scope) this.installSignalHandlers()
  }

  private installSignalHandlers(): void {
    const onSignal = () => {
      this.removeSignalHandlers()
      this.stop().then(() => process.exit(0), (error: unknown) => {
        console.error(`[PipeWeave] stopping the worker failed: ${error instanceof Error ? error.message : String(error)}`)
        process.exit(1)
      })
    }
    process.once("SIGTERM", onSignal)
    process.once("SIGINT", onSignal)
    this.signals = () => {
      process.removeListener("SIGTERM", onSignal)
      process.removeListener("SIGINT", onSignal)
    }
  }

  private removeSignalHandlers(): void {
    this.signals?.()
    this.signals = undefined
  }

  async stop(): Promise<void> {
    this.removeSignalHandlers()
    this.starting?.abort()
    const { runtime, scope } = this
    this.scope = undefined
    this.runtime = undefined
    if (runtime === undefined) return
    if (scope !== undefined) await runtime.runPromise(Scope.close(scope, Exit.void))
    await runtime.dispose()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop()
  }
}

/**
 * Creates a worker (spec "createWorker(config)"). Throws at once when `secretKey` (or
 * `PIPEWEAVE_SECRET_KEY`) is missing or not 64 hex characters, or a URL is malformed.
 */
export const createWorker = (config: WorkerConfig): Worker => new PromiseWorker(config)

const workerOf = (worker: Worker): PromiseWorker => {
  if (!(worker instanceof PromiseWorker)) throw new Error("[PipeWeave] runLocal expects a worker made by createWorker")
  return worker
}

/**
 * Runs a task's handler in-process for tests and debugging, with no orchestrator and no network
 * (in-memory storage, a temp dir, no timeout), and resolves to the handler's return value.
 * Idempotency does not apply: `idempotencyKey` is not called and the handler always runs.
 *
 * Two forms: `runLocal(worker, taskId, input, upstream?)`, and
 * `runLocal(worker, taskId, { input, upstream?, previousAttempts?, codeVersion?, codeHash?, assets?, attempt? })`.
 * The options form is chosen if and only if the third argument is a plain object that has an
 * `input` key and no key outside that list, and there is no fourth argument; otherwise the third
 * argument is the input itself.
 */
export function runLocal(
  worker: Worker,
  taskId: string,
  input: unknown,
  upstream?: Record<string, unknown>
): Promise<any>
export function runLocal(worker: Worker, taskId: string, options: RunLocalOptions): Promise<any>
export async function runLocal(worker: Worker, taskId: string, input: unknown, ...rest: Array<unknown>): Promise<any> {
  const inner = workerOf(worker)
  const upstream = rest[0] as Record<string, unknown> | undefined
  const options: RunLocalOptions = rest.length === 0 && isRunLocalOptions(input)
    ? input
    : { input, ...(upstream === undefined ? {} : { upstream }) }
  return inner.run(runLocalAttempt(inner.definition, taskId, options))
}
