import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { isSafeAssetKey } from "@pipeweave/domain/StorageKeys"
import type { AssetRef } from "@pipeweave/domain/TaskRun"
import type { StorageShape } from "@pipeweave/storage/Storage"
import { Effect } from "effect"
import { contentTypes, decodeAsset, encodeAsset } from "./assetCodec.js"
import { type AssetError, AssetNotFound, InvalidAsset, StorageFailure } from "./AttemptErrors.js"

/** How an asset's bytes are read back: parsed JSON, a UTF-8 string, or a Buffer. */
export type AssetType = AssetRef["type"]

/** An asset a predecessor left, as the dispatch lists it. */
export interface UpstreamAsset {
  readonly taskId: string
  readonly key: string
  readonly ref: AssetRef
}

/**
 * The assets of one attempt: new ones live in the run's temp dir until `upload`. The temp dir is
 * created on first use (an added asset or a downloaded path); `discard` removes it if it was.
 */
export interface AssetStore {
  readonly add: (key: string, type: AssetType, data: unknown) => Effect.Effect<string, AssetError>
  readonly addFromPath: (key: string, type: AssetType, path: string) => Effect.Effect<string, AssetError>
  readonly get: (key: string) => Effect.Effect<unknown, AssetError>
  readonly getPath: (key: string) => Effect.Effect<string, AssetError>
  readonly upload: Effect.Effect<Record<string, AssetRef>, StorageFailure>
  readonly discard: Effect.Effect<void>
  /** Whether an asset was added or the temp dir created: else `upload` has nothing to do and `discard` neither. */
  readonly unsafeUsed: () => boolean
}

const reason = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

const storageFailure = (what: string) => (cause: unknown) =>
  new StorageFailure({ message: `${what}: ${reason(cause)}`, cause })

/** The local file system an attempt's temp dir lives on. */
export interface LocalFiles {
  readonly fs: FileSystem.FileSystem
  readonly path: Path.Path
}

export const makeAssetStore = (options: {
  readonly storage: StorageShape
  readonly runDir: string
  readonly assetsPrefix: string
  readonly upstream: ReadonlyArray<UpstreamAsset>
  readonly files: LocalFiles
}): AssetStore => {
  const { fs, path } = options.files
  const { assetsPrefix, runDir, storage, upstream } = options
  // Plain state, read and changed within one step of the effect that needs it (as a `Ref` would be).
  let added = new Map<string, { readonly type: AssetType; readonly localPath: string }>()
  let created = false
  const fsFailure = (what: string) => (cause: unknown) =>
    new StorageFailure({ message: `${what} in temp dir ${runDir}: ${reason(cause)}`, cause })
  const makeDirectory = (dir: string) =>
    fs.makeDirectory(dir, { recursive: true }).pipe(
      Effect.zipRight(Effect.sync(() => {
        created = true
      })),
      Effect.mapError((cause) => new StorageFailure({ message: `creating temp dir ${dir}: ${cause.message}`, cause }))
    )
  const runDirReady = Effect.suspend(() => created ? Effect.void : makeDirectory(runDir))

  const checkKey = (key: string, type: AssetType) =>
    !isSafeAssetKey(key)
      ? Effect.fail(new InvalidAsset({ message: `asset key '${key}' must be 1-200 of A-Z a-z 0-9 . _ -` }))
      : !(type in contentTypes)
      ? Effect.fail(new InvalidAsset({ message: `asset type '${type}' must be json, text or binary` }))
      : Effect.void

  const record = (key: string, type: AssetType, localPath: string) =>
    Effect.sync(() => {
      added = new Map(added).set(key, { type, localPath })
      return assetsPrefix + key
    })

  const findUpstream = (key: string): Effect.Effect<UpstreamAsset, AssetNotFound> => {
    const slash = key.indexOf("/")
    const found = slash === -1
      ? upstream.find((a) => a.key === key)
      : upstream.find((a) => a.taskId === key.slice(0, slash) && a.key === key.slice(slash + 1))
    return found !== undefined ? Effect.succeed(found) : Effect.suspend(() =>
      Effect.fail(
        new AssetNotFound({ key, available: [...added.keys(), ...upstream.map((a) => `${a.taskId}/${a.key}`)] })
      ))
  }

  return {
    add: (key, type, data) =>
      Effect.gen(function*() {
        yield* checkKey(key, type)
        const bytes = encodeAsset(key, type, data)
        if (bytes instanceof InvalidAsset) return yield* bytes
        const localPath = path.join(runDir, key)
        yield* runDirReady
        yield* fs.writeFile(localPath, bytes).pipe(Effect.mapError(fsFailure(`writing asset '${key}'`)))
        return yield* record(key, type, localPath)
      }),
    addFromPath: (key, type, source) =>
      Effect.gen(function*() {
        yield* checkKey(key, type)
        const localPath = path.join(runDir, key)
        yield* runDirReady
        yield* fs.copyFile(source, localPath).pipe(Effect.mapError(fsFailure(`copying '${source}' to asset '${key}'`)))
        return yield* record(key, type, localPath)
      }),
    get: (key) =>
      Effect.gen(function*() {
        const own = added.get(key)
        if (own !== undefined) {
          const bytes = yield* fs.readFile(own.localPath).pipe(Effect.mapError(fsFailure(`reading asset '${key}'`)))
          return yield* Effect.try({ try: () => decodeAsset(own.type, bytes), catch: fsFailure(`decoding asset '${key}'`) })
        }
        const asset = yield* findUpstream(key)
        const bytes = yield* storage.get(asset.ref.path).pipe(Effect.mapError(storageFailure(`loading asset '${key}'`)))
        return yield* Effect.try({
          try: () => decodeAsset(asset.ref.type, bytes),
          catch: storageFailure(`decoding asset '${key}' at ${asset.ref.path}`)
        })
      }),
    getPath: (key) =>
      Effect.gen(function*() {
        const own = added.get(key)
        if (own !== undefined) return own.localPath
        const asset = yield* findUpstream(key)
        const dir = path.join(runDir, "@upstream", asset.taskId)
        const localPath = path.join(dir, asset.key)
        if (yield* fs.exists(localPath).pipe(Effect.orElseSucceed(() => false))) return localPath
        yield* makeDirectory(dir)
        yield* storage.getToFile(asset.ref.path, localPath).pipe(
          Effect.mapError(storageFailure(`downloading asset '${key}'`))
        )
        return localPath
      }),
    upload: Effect.suspend(() => {
      const assets = added
      return assets.size === 0 ? Effect.succeed({}) : Effect.forEach(
        [...assets],
        ([key, { localPath, type }]) =>
          storage.putFile(assetsPrefix + key, localPath, contentTypes[type]).pipe(
            Effect.map((info) => [key, { path: assetsPrefix + key, size: info.size, type }] as const),
            Effect.mapError(storageFailure(`uploading asset '${key}'`))
          ),
        { concurrency: 4 }
      ).pipe(Effect.map((entries) => Object.fromEntries(entries)))
    }),
    discard: Effect.suspend(() => created ? fs.remove(runDir, { recursive: true }).pipe(Effect.ignore) : Effect.void),
    unsafeUsed: () => created || added.size > 0
  }
}
