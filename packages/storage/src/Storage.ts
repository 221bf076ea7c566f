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
  /** The id of the backend in `STORAGE_BACKENDS` (or of the backend sealed in a storage token). */
  readonly backendId: string
  /** Stores bytes, or a string as UTF-8, replacing any object at `key`. */
  readonly put: (
    key: string,
    body: Uint8Array | string,
    contentType: string
  ) => Effect.Effect<ObjectInfo, StorageError | InvalidKey>
  /** Uploads a local file streamed from disk (the MinIO client buffers files up to one 64 MiB part). */
  readonly putFile: (
    key: string,
    localPath: string,
    contentType: string
  ) => Effect.Effect<ObjectInfo, StorageError | InvalidKey>
  /** Reads a whole object into memory; `ObjectNotFound` when there is none. */
  readonly get: (key: string) => Effect.Effect<Uint8Array, StorageError | ObjectNotFound | InvalidKey>
  /** Downloads an object to a local file without holding it in memory. */
  readonly getToFile: (
    key: string,
    localPath: string
  ) => Effect.Effect<ObjectInfo, StorageError | ObjectNotFound | InvalidKey>
  /** Size and content type, `None` when there is no object. */
  readonly head: (key: string) => Effect.Effect<Option.Option<ObjectInfo>, StorageError | InvalidKey>
  /** Removes an object; deleting a missing object succeeds. */
  readonly delete: (key: string) => Effect.Effect<void, StorageError | InvalidKey>
  /** Every key starting with `prefix` (`""` for all, `"runs/x/"` for a folder), sorted. */
  readonly list: (prefix: string) => Effect.Effect<ReadonlyArray<string>, StorageError | InvalidKey>
}

/** The object storage service: one backend, built by a provider (`makeStorage`, `makeLocalStorage`, …). */
export class Storage extends Context.Tag("@pipeweave/storage/Storage")<Storage, StorageShape>() {}
