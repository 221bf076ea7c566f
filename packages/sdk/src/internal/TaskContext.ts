import type { PreviousAttempt } from "@pipeweave/domain/TaskRun"
import type { Effect } from "effect"
import type { AssetError } from "./AttemptErrors.js"
import type { AssetStore, AssetType } from "./AssetStore.js"
import type { TaskLog } from "./TaskLog.js"

/** `ctx.log`: each line goes to the worker's logger and to the run's JSONL log in storage. */
export interface TaskLogger<R> {
  readonly debug: (message: string, fields?: Record<string, unknown>) => R
  readonly info: (message: string, fields?: Record<string, unknown>) => R
  readonly warn: (message: string, fields?: Record<string, unknown>) => R
  readonly error: (message: string, fields?: Record<string, unknown>) => R
}

/** The data every handler context carries (spec "Task Context"). */
export interface TaskContextData<I> {
  readonly runId: string
  readonly pipelineRunId?: string | undefined
  readonly attempt: number
  readonly codeVersion: number
  readonly codeHash: string
  readonly input: I
  readonly upstream: Record<string, any>
  readonly previousAttempts: ReadonlyArray<PreviousAttempt>
  /** Aborted when the attempt times out or the orchestrator cancels the run. */
  readonly signal: AbortSignal
}

/** The context of an Effect handler: the spec's `ctx`, with Effect-returning helpers. */
export interface TaskContext<I = any> extends TaskContextData<I> {
  /** Writes an asset into the run's temp dir; returns the storage path it gets on success. */
  readonly addAsset: (key: string, type: AssetType, data: unknown) => Effect.Effect<string, AssetError>
  /** Copies a local file in as an asset; returns its storage path. */
  readonly addAssetFromPath: (key: string, type: AssetType, path: string) => Effect.Effect<string, AssetError>
  /** Loads an asset of this run or of an upstream task (`key`, or `taskId/key` when ambiguous). */
  readonly getAsset: <T = any>(key: string) => Effect.Effect<T, AssetError>
  /** Downloads an asset into the run's temp dir and returns its local path. */
  readonly getAssetPath: (key: string) => Effect.Effect<string, AssetError>
  /** Reports progress (0-100) to the orchestrator. */
  readonly progress: (percent: number, message?: string) => Effect.Effect<void>
  readonly log: TaskLogger<Effect.Effect<void>>
}

/** The core form of every handler; Promise handlers are adapted into it. */
export type CoreHandler = (ctx: TaskContext<any>) => Effect.Effect<unknown, unknown>

/**
 * A context's run data (`TaskContextData` but `signal`), copied field by field: a standalone run's
 * context has no `pipelineRunId` key. Contexts are classes rather than object literals: a literal
 * with a getter and a spread of the data is built by the runtime's slow path, ~5 µs per attempt
 * against ~25 ns.
 */
export abstract class RunData<I> {
  constructor(data: Omit<TaskContextData<I>, "signal">) {
    const self = this as { -readonly [K in keyof RunData<I>]: RunData<I>[K] }
    self.runId = data.runId
    if (data.pipelineRunId !== undefined) self.pipelineRunId = data.pipelineRunId
    self.attempt = data.attempt
    self.codeVersion = data.codeVersion
    self.codeHash = data.codeHash
    self.input = data.input
    self.upstream = data.upstream
    self.previousAttempts = data.previousAttempts
  }
}
// The fields are the interface's, merged into the class (not redeclared).
export interface RunData<I> extends Omit<TaskContextData<I>, "signal"> {}

/** The context of an Effect handler: the run's data, `signal` made on first read, and the helpers. */
class HandlerContext<I> extends RunData<I> implements TaskContext<I> {
  readonly addAsset: TaskContext<I>["addAsset"]
  readonly addAssetFromPath: TaskContext<I>["addAssetFromPath"]
  readonly getAsset: TaskContext<I>["getAsset"]
  readonly getAssetPath: TaskContext<I>["getAssetPath"]
  readonly progress: TaskContext<I>["progress"]
  readonly log: TaskLogger<Effect.Effect<void>>
  readonly #signal: () => AbortSignal

  constructor(
    data: Omit<TaskContextData<I>, "signal">,
    signal: () => AbortSignal,
    assets: AssetStore,
    log: TaskLog,
    progress: (percent: number, message?: string) => Effect.Effect<void>
  ) {
    super(data)
    this.#signal = signal
    this.addAsset = assets.add
    this.addAssetFromPath = assets.addFromPath
    this.getAsset = assets.get as TaskContext<I>["getAsset"]
    this.getAssetPath = assets.getPath
    this.progress = progress
    this.log = {
      debug: (message, fields) => log.write("debug", message, fields),
      info: (message, fields) => log.write("info", message, fields),
      warn: (message, fields) => log.write("warn", message, fields),
      error: (message, fields) => log.write("error", message, fields)
    }
  }

  get signal(): AbortSignal {
    return this.#signal()
  }
}

/** A handler's context (see `HandlerContext`). */
export const makeTaskContext = <I>(
  data: Omit<TaskContextData<I>, "signal">,
  signal: () => AbortSignal,
  assets: AssetStore,
  log: TaskLog,
  progress: (percent: number, message?: string) => Effect.Effect<void>
): TaskContext<I> => new HandlerContext(data, signal, assets, log, progress)
