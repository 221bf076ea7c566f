import { Context, type Effect, type Option } from "effect"
import type { InvalidKey, ObjectNotFound, StorageError } from "./StorageError.js"

/** Size and type of a stored object. */
export interface ObjectInfo {
  readonly size: number
  readonly contentType: string
}

/**
 * The object storage port. Keys follow the spec's layout (`runs/{id}/outputs/{trun}.json`) and
 * are checked by every provider: a key that would escape the base fails with `InvalidKey`.
 */
export interface StorageShape {
  readonly backendId: string
  readonly put: (
    key: string,
    body: Uint8Array | string,
    contentType: string
  ) => Effect.Effect<ObjectInfo, StorageError | InvalidKey>
  /** Uploads a local file without reading it into memory. */
  readonly putFile: (
    key: string,
    localPath: string,
    contentType: string
  ) => Effect.Effect<ObjectInfo, StorageError | InvalidKey>
  readonly get: (key: string) => Effect.Effect<Uint8Array, StorageError | ObjectNotFound | InvalidKey>
  /** Downloads an object to a local file without holding it in memory. */
  readonly getToFile: (
    key: string,
    localPath: string
  ) => Effect.Effect<ObjectInfo, StorageError | ObjectNotFound | InvalidKey>
  readonly head: (key: string) => Effect.Effect<Option.Option<ObjectInfo>, StorageError | InvalidKey>
  readonly delete: (key: string) => Effect.Effect<void, StorageError | InvalidKey>
  /** Keys under a prefix, sorted. */
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<string>, StorageError | InvalidKey>
}

export class Storage extends Context.Tag("@pipeweave/storage/Storage")<Storage, StorageShape>() {}
