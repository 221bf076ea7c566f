import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import type { AssetRef, PreviousAttempt } from "@pipeweave/domain/TaskRun"
import { makeMemoryStorage } from "@pipeweave/storage/MemoryStorage"
import { Effect, Random } from "effect"
import { identity } from "effect/Function"
import type { UpstreamAsset } from "./AssetStore.js"
import { runAttempt } from "./runAttempt.js"
import { makeTaskLog } from "./TaskLog.js"
import type { WorkerDefinition } from "./WorkerDefinition.js"
import { WorkerLog } from "./WorkerLog.js"
import { WorkerSettings } from "./WorkerSettings.js"

/** The options form of `runLocal`. */
export interface RunLocalOptions<I = unknown> {
  /** `ctx.input`. */
  readonly input: I
  /** `ctx.upstream`: outputs of predecessors by task id. */
  readonly upstream?: Record<string, unknown> | undefined
  /** `ctx.previousAttempts`. */
  readonly previousAttempts?: ReadonlyArray<PreviousAttempt> | undefined
  /** Default: the version from the worker's last registration, else 1. */
  readonly codeVersion?: number | undefined
  /** Default: the handler's computed hash. */
  readonly codeHash?: string | undefined
  /** Upstream assets `ctx.getAsset(key)` finds: a Buffer/Uint8Array is binary, a string text, anything else JSON. */
  readonly assets?: Record<string, unknown> | undefined
  /** `ctx.attempt`; default `previousAttempts.length + 1`. */
  readonly attempt?: number | undefined
}

const runLocalKeys = new Set(["input", "upstream", "previousAttempts", "codeVersion", "codeHash", "assets", "attempt"])

/** The options-form rule: a plain object with an `input` key and only keys of `RunLocalOptions`. */
export const isRunLocalOptions = (value: unknown): value is RunLocalOptions => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  const keys = Object.keys(value)
  return keys.includes("input") && keys.every((key) => runLocalKeys.has(key))
}

const typedAsset = (value: unknown): { readonly type: AssetRef["type"]; readonly body: Uint8Array | string } =>
  value instanceof Uint8Array
    ? { type: "binary", body: value }
    : typeof value === "string"
    ? { type: "text", body: value }
    : { type: "json", body: JSON.stringify(value) ?? "null" }

/**
 * Runs a registered handler in-process, with no orchestrator and no network: in-memory storage,
 * a temp dir under the worker's `tempDir` (when an asset needs one), no timeout and no heartbeats (so breakpoints are
 * safe), and no idempotency: `idempotencyKey` is not called and the handler always runs. Succeeds
 * with the handler's return value and fails with what the handler failed with.
 */
export const runLocalAttempt = (
  definition: WorkerDefinition,
  taskId: string,
  options: RunLocalOptions
): Effect.Effect<unknown, unknown, WorkerLog | WorkerSettings | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const task = definition.tasks.get(taskId)
    if (task === undefined) {
      const known = [...definition.tasks.keys()].join(", ") || "none"
      return yield* Effect.fail(new Error(`[PipeWeave] runLocal: task '${taskId}' is not registered (registered: ${known})`))
    }
    const settings = yield* WorkerSettings
    const { log } = yield* WorkerLog
    const path = yield* Path.Path
    const runId = `trun_local${(yield* Random.nextIntBetween(0, 2 ** 30)).toString(36).padStart(6, "0")}`
    const storage = makeMemoryStorage("local")
    const upstreamAssets: Array<UpstreamAsset> = []
    for (const [key, value] of Object.entries(options.assets ?? {})) {
      const { body, type } = typedAsset(value)
      const assetPath = `runs/${runId}/upstream-assets/${key}`
      const info = yield* storage.put(assetPath, body, "application/octet-stream")
      upstreamAssets.push({ taskId: "runLocal", key, ref: { path: assetPath, size: info.size, type } })
    }
    const taskLog = makeTaskLog((level, message) => log(level, message, { taskId }))
    const previousAttempts = options.previousAttempts ?? []
    const success = yield* runAttempt({
      task,
      runId,
      pipelineRunId: null,
      attempt: options.attempt ?? previousAttempts.length + 1,
      codeVersion: options.codeVersion ?? definition.codeVersions.get(taskId) ?? 1,
      codeHash: options.codeHash ?? task.registration.codeHash,
      previousAttempts,
      allowedNext: task.registration.allowedNext,
      storage,
      hydrate: Effect.succeed({ input: options.input, upstream: { ...options.upstream } }),
      beforeHandler: () => Effect.void,
      upstreamAssets,
      outputPath: StorageKeys.output(runId, runId),
      inlineLimitBytes: 0,
      assetsPrefix: StorageKeys.assetsPrefix(runId, runId),
      runDir: path.join(settings.tempDir, runId),
      files: { fs: yield* FileSystem.FileSystem, path },
      aroundHandler: identity,
      cleanupOnFailure: settings.tempCleanupOnFailure,
      progress: (percent, message) => taskLog.write("info", `progress ${percent}%${message === undefined ? "" : `: ${message}`}`),
      log: taskLog
    })
    return success.value
  })
