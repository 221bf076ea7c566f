import { isSafeKey } from "@pipeweave/domain/StorageKeys"
import { Effect } from "effect"
import type { StorageShape } from "../Storage.js"
import { InvalidKey } from "../StorageError.js"

export const isSafePrefix = (prefix: string): boolean =>
  prefix === "" || isSafeKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix)

const check = (key: string, safe: boolean): Effect.Effect<void, InvalidKey> =>
  safe ? Effect.void : Effect.fail(new InvalidKey({ key }))

export const guardKeys = (storage: StorageShape): StorageShape => ({
  backendId: storage.backendId,
  put: (key, body, contentType) => Effect.zipRight(check(key, isSafeKey(key)), storage.put(key, body, contentType)),
  putFile: (key, localPath, contentType) =>
    Effect.zipRight(check(key, isSafeKey(key)), storage.putFile(key, localPath, contentType)),
  get: (key) => Effect.zipRight(check(key, isSafeKey(key)), storage.get(key)),
  getToFile: (key, localPath) => Effect.zipRight(check(key, isSafeKey(key)), storage.getToFile(key, localPath)),
  head: (key) => Effect.zipRight(check(key, isSafeKey(key)), storage.head(key)),
  delete: (key) => Effect.zipRight(check(key, isSafeKey(key)), storage.delete(key)),
  list: (prefix) => Effect.zipRight(check(prefix, isSafePrefix(prefix)), storage.list(prefix))
})
