import type { DispatchPayload, UpstreamRef } from "@pipeweave/domain/Dispatch"
import type { StorageShape } from "@pipeweave/storage/Storage"
import { Effect } from "effect"
import type { UpstreamAsset } from "./AssetStore.js"
import { StorageFailure } from "./AttemptErrors.js"

const reason = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

/** Reads and parses the JSON object at `key`. */
export const loadJson = (storage: StorageShape, key: string, what: string): Effect.Effect<unknown, StorageFailure> =>
  storage.get(key).pipe(
    Effect.flatMap((bytes) => Effect.try(() => JSON.parse(Buffer.from(bytes).toString("utf8")) as unknown)),
    Effect.mapError((cause) => new StorageFailure({ message: `loading ${what} from '${key}': ${reason(cause)}`, cause }))
  )

/**
 * `ctx.input` and `ctx.upstream[taskId]`: from the dispatch when they travel inline (`input`,
 * `upstream[taskId].output`), else read from `inputPath` and each predecessor's `outputPath`.
 */
export const hydrate = (
  storage: StorageShape,
  dispatch: Pick<DispatchPayload, "inputPath" | "input" | "upstream">
): Effect.Effect<{ readonly input: unknown; readonly upstream: Record<string, unknown> }, StorageFailure> => {
  const refs = Object.entries(dispatch.upstream)
  if (dispatch.input !== undefined && refs.every(([, ref]) => ref.output !== undefined)) {
    return Effect.succeed({
      input: dispatch.input,
      upstream: Object.fromEntries(refs.map(([taskId, ref]) => [taskId, ref.output]))
    })
  }
  return Effect.all({
    input: dispatch.input !== undefined ? Effect.succeed(dispatch.input) : loadJson(storage, dispatch.inputPath, "input"),
    upstream: Effect.forEach(
      refs,
      ([taskId, ref]) =>
        ref.output !== undefined
          ? Effect.succeed([taskId, ref.output] as const)
          : Effect.map(loadJson(storage, ref.outputPath, `output of '${taskId}'`), (v) => [taskId, v] as const),
      { concurrency: 8 }
    ).pipe(Effect.map((entries) => Object.fromEntries(entries)))
  }, { concurrency: 2 })
}

/** The assets the predecessors left, in the dispatch's order. */
export const upstreamAssetsOf = (upstream: Record<string, UpstreamRef>): ReadonlyArray<UpstreamAsset> =>
  Object.entries(upstream).flatMap(([taskId, ref]) =>
    Object.entries(ref.assets).map(([key, assetRef]) => ({ taskId, key, ref: assetRef }))
  )
