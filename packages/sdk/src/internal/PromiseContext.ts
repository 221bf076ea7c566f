import { Cause, type Context, Effect, Exit, Runtime } from "effect"
import type { AssetType } from "./AssetStore.js"
import type { CoreHandler, TaskContext as EffectTaskContext, TaskContextData, TaskLogger } from "./TaskContext.js"
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

const toPromiseContext = <I>(ctx: EffectTaskContext<I>, runtime: Runtime.Runtime<never>): TaskContext<I> => {
  const run = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
    Runtime.runPromiseExit(runtime)(effect).then((exit) =>
      Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
    )
  const write = (effect: Effect.Effect<void>) => Runtime.runSync(runtime)(effect)
  return {
    runId: ctx.runId,
    ...(ctx.pipelineRunId === undefined ? {} : { pipelineRunId: ctx.pipelineRunId }),
    attempt: ctx.attempt,
    codeVersion: ctx.codeVersion,
    codeHash: ctx.codeHash,
    input: ctx.input,
    upstream: ctx.upstream,
    previousAttempts: ctx.previousAttempts,
    get signal() {
      return ctx.signal
    },
    addAsset: (key, type, data) => run(ctx.addAsset(key, type, data)),
    addAssetFromPath: (key, type, path) => run(ctx.addAssetFromPath(key, type, path)),
    getAsset: <T>(key: string) => run(ctx.getAsset<T>(key)),
    getAssetPath: (key) => run(ctx.getAssetPath(key)),
    progress: (percent, message) => run(ctx.progress(percent, message)),
    log: {
      debug: (message, fields) => write(ctx.log.debug(message, fields)),
      info: (message, fields) => write(ctx.log.info(message, fields)),
      warn: (message, fields) => write(ctx.log.warn(message, fields)),
      error: (message, fields) => write(ctx.log.error(message, fields))
    }
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
      result = handler(toPromiseContext(ctx, runtime))
    } catch (error) {
      return Effect.fail(error)
    }
    if (!isThenable(result)) return Effect.succeed(result)
    return Effect.async<unknown, unknown>((resume) => {
      Promise.resolve(result).then((value) => resume(Effect.succeed(value)), (error) => resume(Effect.fail(error)))
    })
  })
