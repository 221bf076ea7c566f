import { isSafeKey } from "@pipeweave/domain/StorageKeys"
import { Effect } from "effect"
import type { StorageShape } from "../Storage.js"
import { InvalidKey } from "../StorageError.js"

export const isSafePrefix = (prefix: string): boolean =>
  prefix === "" || isSafeKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix)

const checked = <A, E>(key: string, safe: boolean, run: () => Effect.Effect<A, E>): Effect.Effect<A, E | InvalidKey> =>
  safe ? Effect.suspend(run) : Effect.fail(new InvalidKey({ key }))

export const guardKeys = (storage: StorageShape): StorageShape => ({
  backendId: storage.backendId,
  put: (key, body, contentType) => checked(key, isSafeKey(key), () => storage.put(key, body, contentType)),
  putFile: (key, localPath, contentType) => checked(key, isSafeKey(key), () => storage.putFile(key, localPath, contentType)),
  get: (key) => checked(key, isSafeKey(key), () => storage.get(key)),
  getToFile: (key, localPath) => checked(key, isSafeKey(key), () => storage.getToFile(key, localPath)),
  head: (key) => checked(key, isSafeKey(key), () => storage.head(key)),
  delete: (key) => checked(key, isSafeKey(key), () => storage.delete(key)),
  list: (prefix) => checked(prefix, isSafePrefix(prefix), () => storage.list(prefix))
})
