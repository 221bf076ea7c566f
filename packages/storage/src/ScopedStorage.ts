import { Effect } from "effect"
import type { StorageShape } from "./Storage.js"
import { StorageError } from "./StorageError.js"

/** Which keys a scoped view may read and which it may write (put, putFile, delete). */
export interface StorageScope {
  readonly canRead: (key: string) => boolean
  readonly canWrite: (key: string) => boolean
  /** Named in the refusal, e.g. `run trun_1 attempt 2`. */
  readonly describe: string
}

const refuse = (operation: string, key: string, scope: StorageScope, what: "read" | "write") =>
  Effect.fail(
    new StorageError({
      operation,
      key,
      cause: new Error(`outside the storage scope of ${scope.describe} (it may not ${what} this key)`)
    })
  )

/**
 * A view of `storage` that refuses, before touching the backend, every read or write the scope
 * does not allow: what a dispatched attempt uses, so a dispatch edited in transit cannot make a
 * worker overwrite another run's objects.
 */
export const scopedStorage = (storage: StorageShape, scope: StorageScope): StorageShape => ({
  backendId: storage.backendId,
  put: (key, body, contentType) =>
    scope.canWrite(key) ? storage.put(key, body, contentType) : refuse("put", key, scope, "write"),
  putFile: (key, localPath, contentType) =>
    scope.canWrite(key) ? storage.putFile(key, localPath, contentType) : refuse("putFile", key, scope, "write"),
  delete: (key) => scope.canWrite(key) ? storage.delete(key) : refuse("delete", key, scope, "write"),
  get: (key) => scope.canRead(key) ? storage.get(key) : refuse("get", key, scope, "read"),
  getToFile: (key, localPath) => scope.canRead(key) ? storage.getToFile(key, localPath) : refuse("getToFile", key, scope, "read"),
  head: (key) => scope.canRead(key) ? storage.head(key) : refuse("head", key, scope, "read"),
  list: (prefix) => scope.canRead(prefix) ? storage.list(prefix) : refuse("list", prefix, scope, "read")
})
