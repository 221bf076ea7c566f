import { Cause, Effect, Exit, Runtime } from "effect"
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

const toPromiseContext = <I>(
  ctx: EffectTaskContext<I>,
  runtime: Runtime.Runtime<never>,
  signal: AbortSignal
): TaskContext<I> => {
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
    signal,
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

/**
 * Adapts a Promise handler into the core: `Effect.tryPromise` with the fiber's abort signal as
 * `ctx.signal`, failing with exactly what the handler threw or rejected with.
 */
export const adaptPromiseHandler = (handler: TaskHandler): CoreHandler => (ctx) =>
  Effect.flatMap(Effect.runtime<never>(), (runtime) =>
    Effect.tryPromise({
      try: (signal) => Promise.resolve(handler(toPromiseContext(ctx, runtime, signal))),
      catch: (error) => error
    }))
