import { TaskError } from "@pipeweave/domain/TaskErrors"
import type { AssetRef, PreviousAttempt } from "@pipeweave/domain/TaskRun"
import type { StorageShape } from "@pipeweave/storage/Storage"
import { Cause, Effect, Either, FiberRef, Option, type Tracer } from "effect"
import { type AssetStore, type LocalFiles, makeAssetStore, type UpstreamAsset } from "./AssetStore.js"
import { InvalidNext, Skipped, StorageFailure } from "./AttemptErrors.js"
import type { TaskDefinition } from "./TaskDefinition.js"
import { makeTaskContext } from "./TaskContext.js"
import type { TaskLog } from "./TaskLog.js"
import { interpretResult } from "./TaskResult.js"
import * as Spans from "@pipeweave/domain/Spans"

/** Everything one attempt needs, whether dispatched or run locally. */
export interface AttemptSpec {
  readonly task: TaskDefinition
  readonly runId: string
  readonly pipelineRunId: string | null
  readonly attempt: number
  readonly codeVersion: number
  readonly codeHash: string
  readonly previousAttempts: ReadonlyArray<PreviousAttempt>
  readonly allowedNext: ReadonlyArray<string>
  readonly storage: StorageShape
  readonly hydrate: Effect.Effect<{ readonly input: unknown; readonly upstream: Record<string, unknown> }, StorageFailure>
  /** Runs between hydration and the handler, inside `aroundHandler`; failing with `Skipped` ends the attempt early. */
  readonly beforeHandler: (input: unknown) => Effect.Effect<void, unknown>
  readonly upstreamAssets: ReadonlyArray<UpstreamAsset>
  readonly outputPath: string
  /** Outputs of at most this many bytes of JSON go back inline instead of to `outputPath`; 0: never. */
  readonly inlineLimitBytes: number
  readonly assetsPrefix: string
  readonly runDir: string
  readonly files: LocalFiles
  /**
   * Wraps the handler's part of the attempt (hydration, `beforeHandler`, the handler): where its
   * timeout applies. Checking `runNext` and saving the output and assets come after it.
   */
  readonly aroundHandler: <A, E, R>(handler: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly cleanupOnFailure: boolean
  readonly progress: (percent: number, message?: string) => Effect.Effect<void>
  readonly log: TaskLog
}

/** A successful attempt: the handler's raw return value and what the success callback reports. */
export interface AttemptSuccess {
  readonly value: unknown
  readonly outputPath: string
  readonly outputSize: number
  /** The output as JSON data when it travels inline (nothing was written at `outputPath`). */
  readonly inlineOutput: Option.Option<unknown>
  readonly assets: Record<string, AssetRef>
  readonly selectedNext: ReadonlyArray<string> | undefined
}

/** Why `runNext` may not be followed, or `undefined` when every task it names is allowed. */
const invalidNext = (taskId: string, runNext: ReadonlyArray<unknown>, allowed: ReadonlyArray<string>) => {
  const bad = runNext.filter((next) => typeof next !== "string" || !allowed.includes(next))
  if (bad.length === 0) return undefined
  const list = allowed.length === 0 ? "none" : allowed.join(", ")
  return new InvalidNext({
    message: `task '${taskId}' selected ${bad.map((b) => `'${String(b)}'`).join(", ")} in runNext, ` +
      `which is not in its allowedNext (${list})`
  })
}

/** The output as JSON, or why it cannot be. */
const serialise = (taskId: string, output: unknown): Either.Either<string, TaskError> =>
  Either.try({
    try: () => JSON.stringify(output === undefined ? null : output) ?? "null",
    catch: (cause) =>
      new TaskError({
        message: `task '${taskId}' returned an output that is not JSON-serialisable: ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        code: "INVALID_OUTPUT",
        retryable: false
      })
  })

const isSkipped = (cause: Cause.Cause<unknown>) =>
  Option.exists(Cause.failureOption(cause), (error) => error instanceof Skipped)

/**
 * `ctx.signal`, made only when a handler reads it (most handlers never look): aborted by `abort`,
 * before or after.
 */
const lazyAbort = () => {
  let controller: AbortController | undefined
  let aborted = false
  return {
    signal: () => (controller ??= new AbortController(), aborted && controller.abort(), controller.signal),
    abort: () => {
      aborted = true
      controller?.abort()
    }
  }
}

/** `self` in a span named `name` where the attempt traces, else alone. */
const spanned = <A, E, R>(traced: boolean, self: Effect.Effect<A, E, R>, name: string, options?: Tracer.SpanOptions) =>
  traced ? Spans.withSpan(self, name, options) : self

const runHandler = (spec: AttemptSpec, assets: AssetStore, traced: boolean) =>
  Effect.flatMap(spanned(traced, spec.hydrate, "Worker.hydrate"), ({ input, upstream }) =>
    Effect.flatMap(spec.beforeHandler(input), () => {
      const abort = lazyAbort()
      const ctx = makeTaskContext(
        {
          runId: spec.runId,
          ...(spec.pipelineRunId === null ? {} : { pipelineRunId: spec.pipelineRunId }),
          attempt: spec.attempt,
          codeVersion: spec.codeVersion,
          codeHash: spec.codeHash,
          input,
          upstream,
          previousAttempts: spec.previousAttempts
        },
        abort.signal,
        assets,
        spec.log,
        spec.progress
      )
      return spanned(
        traced,
        Effect.suspend(() => spec.task.handler(ctx)).pipe(
          Effect.catchAllCause((cause) => Effect.fail(Cause.squash(cause))),
          Effect.onInterrupt(() => Effect.sync(abort.abort))
        ),
        "Worker.handler",
        { attributes: { "pipeweave.task.id": spec.task.id } }
      )
    }))

/** The output kept inline when small enough (nothing to write), else `undefined`. */
const inlineOutput = (spec: AttemptSpec, json: string) => {
  const size = Buffer.byteLength(json, "utf8")
  return spec.inlineLimitBytes > 0 && size <= spec.inlineLimitBytes
    ? { outputSize: size, inlineOutput: Option.some(JSON.parse(json) as unknown) }
    : undefined
}

const saveOutput = (spec: AttemptSpec, json: string) => {
  const inline = inlineOutput(spec, json)
  if (inline !== undefined) return Effect.succeed(inline)
  return spec.storage.put(spec.outputPath, json, "application/json").pipe(
    Effect.map((info) => ({ outputSize: info.size, inlineOutput: Option.none() })),
    Effect.mapError((cause) => new StorageFailure({ message: `saving output: ${cause.message}`, cause }))
  )
}

/**
 * One attempt: hydrates, runs `beforeHandler` and the handler (inside `aroundHandler`),
 * checks `runNext`, uploads the assets, saves the output (inline when small enough, else at
 * `outputPath`), and removes the run's temp dir if the attempt created one (on failure only when
 * `cleanupOnFailure`, always when skipped). Fails with whatever `beforeHandler` or the handler
 * failed with. Its spans are made only where the fiber traces; what follows the handler is plain
 * code, in one step, where there is nothing to upload, write or remove.
 */
export const runAttempt = (spec: AttemptSpec): Effect.Effect<AttemptSuccess, unknown> =>
  Effect.withFiberRuntime((fiber) => {
    const traced = fiber.getFiberRef(FiberRef.currentTracerEnabled)
    const assets = makeAssetStore({
      storage: spec.storage,
      runDir: spec.runDir,
      assetsPrefix: spec.assetsPrefix,
      upstream: spec.upstreamAssets,
      files: spec.files
    })
    const finish = (value: unknown): Effect.Effect<AttemptSuccess, unknown> => {
      const { output, runNext } = interpretResult(value)
      if (runNext !== undefined) {
        const invalid = invalidNext(spec.task.id, runNext, spec.allowedNext)
        if (invalid !== undefined) return Effect.fail(invalid)
      }
      const json = serialise(spec.task.id, output)
      if (Either.isLeft(json)) return Effect.fail(json.left)
      const succeeded = (uploaded: Record<string, AssetRef>, saved: Pick<AttemptSuccess, "outputSize" | "inlineOutput">) => ({
        value,
        outputPath: spec.outputPath,
        ...saved,
        assets: uploaded,
        selectedNext: runNext
      })
      if (!traced && !assets.unsafeUsed()) {
        const inline = inlineOutput(spec, json.right)
        if (inline !== undefined) return Effect.succeed(succeeded({}, inline))
      }
      return Effect.zip(assets.upload, saveOutput(spec, json.right)).pipe(
        (self) => spanned(traced, self, "Worker.upload"),
        Effect.flatMap(([uploaded, saved]) => Effect.as(assets.discard, succeeded(uploaded, saved)))
      )
    }
    return Effect.flatMap(spec.aroundHandler(runHandler(spec, assets, traced)), finish).pipe(
      Effect.onError((cause) => spec.cleanupOnFailure || isSkipped(cause) ? assets.discard : Effect.void)
    )
  })
