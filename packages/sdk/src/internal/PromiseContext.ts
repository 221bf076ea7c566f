import { Cause, type Context, Effect, Exit, Runtime } from "effect"
import type { AssetType } from "./AssetStore.js"
import { type CoreHandler, RunData, type TaskContext as EffectTaskContext, type TaskContextData, type TaskLogger } from "./TaskContext.js"
import type { TaskResult } from "./TaskResult.js"

/** The context of a Promise handler (spec "Task Context (`ctx`)"). */
export interface TaskContext<I = any> extends TaskContextData<I> {
  /** Writes an asset into the run's temp dir; resolves to the storage path it gets on success. */
  addAsset(key: string, type: AssetType, data: unknown): Promise<string>
  /** Copies a local file in as an asset; resolves to its storage path. */
  addAssetFromPath(key: string, type: AssetType, path: string): Promise<string>
  /** Loads an asset of this run or of an upstream task (`key`, or `taskId/key` when ambiguous). */
  getAsset<T = any>(key: string): Promise<T>
  /** Downloads an asset into the run's temp dir and resolves to its local path. */
  getAssetPath(key: string): Promise<string>
  /** Reports progress (0-100) to the orchestrator. */
  progress(percent: number, message?: string): Promise<void>
  /** `debug`/`info`/`warn`/`error(message, fields?)`: to the console and the run's JSONL log. */
  readonly log: TaskLogger<void>
}

/** A Promise task handler; it may return the output, or a `TaskResult` to choose the next tasks. */
export type TaskHandler<I = any, O = unknown> = (
  ctx: TaskContext<I>
) => Promise<O | TaskResult<O>> | O | TaskResult<O>

/**
 * A Promise handler's context over the Effect one: its helpers run on `runtime`, the handler's
 * fiber's. A class, as the Effect context is (see `makeTaskContext`).
 */
class PromiseHandlerContext<I> extends RunData<I> implements TaskContext<I> {
  // Own functions, not methods: handlers destructure them (`async ({ input, addAsset }) => …`).
  readonly addAsset: TaskContext<I>["addAsset"]
  readonly addAssetFromPath: TaskContext<I>["addAssetFromPath"]
  readonly getAsset: TaskContext<I>["getAsset"]
  readonly getAssetPath: TaskContext<I>["getAssetPath"]
  readonly progress: TaskContext<I>["progress"]
  readonly log: TaskLogger<void>
  readonly #ctx: EffectTaskContext<I>

  constructor(ctx: EffectTaskContext<I>, runtime: Runtime.Runtime<never>) {
    super(ctx)
    this.#ctx = ctx
    const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
      Runtime.runPromiseExit(runtime)(effect).then((exit) =>
        Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
      )
    const write = (effect: Effect.Effect<void>) => Runtime.runSync(runtime)(effect)
    this.addAsset = (key, type, data) => run(ctx.addAsset(key, type, data))
    this.addAssetFromPath = (key, type, path) => run(ctx.addAssetFromPath(key, type, path))
    this.getAsset = <T>(key: string) => run(ctx.getAsset<T>(key))
    this.getAssetPath = (key) => run(ctx.getAssetPath(key))
    this.progress = (percent, message) => run(ctx.progress(percent, message))
    this.log = {
      debug: (message, fields) => write(ctx.log.debug(message, fields)),
      info: (message, fields) => write(ctx.log.info(message, fields)),
      warn: (message, fields) => write(ctx.log.warn(message, fields)),
      error: (message, fields) => write(ctx.log.error(message, fields))
    }
  }

  get signal(): AbortSignal {
    return this.#ctx.signal
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") && value !== null &&
  typeof (value as { then?: unknown }).then === "function"

/**
 * Adapts a Promise handler into the core: called at once, with `ctx.signal` aborted when the
 * attempt is interrupted (its timeout, a cancellation); fails with exactly what the handler threw
 * or rejected with. A handler that returns a plain value ends there, without waiting for a
 * promise (no abort controller, no microtask: most short handlers).
 */
export const adaptPromiseHandler = (handler: TaskHandler): CoreHandler => (ctx) =>
  Effect.withFiberRuntime<unknown, unknown>((fiber, status) => {
    const runtime = Runtime.make({
      context: fiber.currentContext as Context.Context<never>,
      runtimeFlags: status.runtimeFlags,
      fiberRefs: fiber.getFiberRefs()
    })
    let result: unknown
    try {
      result = handler(new PromiseHandlerContext(ctx, runtime))
    } catch (error) {
      return Effect.fail(error)
    }
    if (!isThenable(result)) return Effect.succeed(result)
    return Effect.async<unknown, unknown>((resume) => {
      Promise.resolve(result).then((value) => resume(Effect.succeed(value)), (error) => resume(Effect.fail(error)))
    })
  })
