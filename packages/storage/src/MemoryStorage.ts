import { readFile } from "node:fs/promises"
import { Effect, Layer, Option } from "effect"
import { attempt, toBytes, writeFileAtomic } from "./internal/io.js"
import { guardKeys } from "./internal/keys.js"
import { type ObjectInfo, Storage, type StorageShape } from "./Storage.js"
import { ObjectNotFound } from "./StorageError.js"

interface Entry {
  readonly bytes: Uint8Array
  readonly contentType: string
}

/** An in-memory backend for tests; objects live as long as the returned value. */
export const makeMemoryStorage = (id = "memory"): StorageShape => {
  const objects = new Map<string, Entry>()
  const store = (key: string, bytes: Uint8Array, contentType: string): ObjectInfo => {
    objects.set(key, { bytes: Uint8Array.from(bytes), contentType })
    return { size: bytes.byteLength, contentType }
  }
  const find = (key: string) =>
    Effect.suspend(() => {
      const entry = objects.get(key)
      return entry ? Effect.succeed(entry) : Effect.fail(new ObjectNotFound({ key }))
    })
  return guardKeys({
    backendId: id,
    put: (key, body, contentType) => Effect.sync(() => store(key, toBytes(body), contentType)),
    putFile: (key, localPath, contentType) =>
      attempt("putFile", key, () => readFile(localPath)).pipe(Effect.map((bytes) => store(key, bytes, contentType))),
    get: (key) => Effect.map(find(key), (entry) => Uint8Array.from(entry.bytes)),
    getToFile: (key, localPath) =>
      Effect.flatMap(find(key), (entry) =>
        attempt("getToFile", key, (signal) => writeFileAtomic(localPath, entry.bytes, signal)).pipe(
          Effect.as({ size: entry.bytes.byteLength, contentType: entry.contentType })
        )),
    head: (key) =>
      Effect.sync(() =>
        Option.fromNullable(objects.get(key)).pipe(
          Option.map((entry): ObjectInfo => ({ size: entry.bytes.byteLength, contentType: entry.contentType }))
        )
      ),
    delete: (key) => Effect.sync(() => void objects.delete(key)),
    list: (prefix) => Effect.sync(() => [...objects.keys()].filter((key) => key.startsWith(prefix)).sort())
  })
}

/** The `Storage` service backed by a fresh in-memory backend. */
export const layerMemoryStorage = (id?: string): Layer.Layer<Storage> => Layer.sync(Storage, () => makeMemoryStorage(id))
