import { constants } from "node:fs"
import { mkdir, open, readdir, readFile, realpath, rm, rmdir, stat, unlink } from "node:fs/promises"
import { dirname, join, resolve, sep } from "node:path"
import type { Readable } from "node:stream"
import { isSafeKey } from "@pipeweave/domain/StorageKeys"
import { Effect, Option } from "effect"
import { makeDirectoryGuard } from "./internal/DirectoryGuard.js"
import { impliedContentType } from "./internal/impliedContentType.js"
import { attempt, attemptFound, errorCode, replaceFile, toBytes, writeFileAtomic } from "./internal/io.js"
import { guardKeys } from "./internal/keys.js"
import type { ObjectInfo, StorageShape } from "./Storage.js"
import { InvalidKey, type StorageError } from "./StorageError.js"

/** Where a local backend keeps its objects. */
export interface LocalStorageOptions {
  readonly id: string
  readonly basePath: string
}

const META_DIR = "~meta"
const missing = (cause: unknown) => ["ENOENT", "ENOTDIR", "EISDIR"].includes(String(errorCode(cause)))
const openRead = async (path: string): Promise<Readable> => (await open(path, "r")).createReadStream()
/** Reads a file unless it is (by now) a symlink: `undefined` then, so the key is refused. */
const readNoFollow = async (path: string): Promise<Uint8Array | undefined> => {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((e) =>
    errorCode(e) === "ELOOP" ? undefined : Promise.reject(e)
  )
  if (handle === undefined) return undefined
  try {
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}
const unlinkIfPresent = (path: string) => unlink(path).catch((e) => missing(e) ? undefined : Promise.reject(e))

/**
 * Objects as plain files under `basePath/<key>`. A content type other than the one the key's
 * extension implies goes to a `~meta/<key>` sidecar (a name no key can take). Writes go to a
 * temporary sibling renamed into place; a key that passes through a symlink under the base (wherever
 * it points) fails with `InvalidKey`: symlinks are never followed (directories are checked once per
 * backend and remembered).
 */
export const makeLocalStorage = (options: LocalStorageOptions): Effect.Effect<StorageShape, StorageError> =>
  Effect.gen(function*() {
    const root = yield* attempt("open", options.basePath, async () => {
      await mkdir(resolve(options.basePath), { recursive: true, mode: 0o700 })
      return realpath(resolve(options.basePath))
    })
    const guard = makeDirectoryGuard(root)
    const dataPath = (key: string) => join(root, ...key.split("/"))
    const metaPath = (key: string) => join(root, META_DIR, ...key.split("/"))
    const inside = <A, E>(key: string, effect: Effect.Effect<A | undefined, E>): Effect.Effect<A, E | InvalidKey> =>
      Effect.flatMap(effect, (a) => a === undefined ? Effect.fail(new InvalidKey({ key })) : Effect.succeed(a))

    const infoOf = (key: string) =>
      attemptFound("head", key, missing, async (): Promise<ObjectInfo | undefined> => {
        if (!(await guard.allows(dataPath(key)))) return undefined
        const stats = await stat(dataPath(key))
        if (!stats.isFile()) throw Object.assign(new Error(`${key} is a directory`), { code: "EISDIR" })
        const contentType = await readFile(metaPath(key), "utf8").then(
          (text) => String((JSON.parse(text) as { contentType: unknown }).contentType),
          () => impliedContentType(key)
        )
        return { size: stats.size, contentType }
      })
    const writeObject = async (
      key: string,
      contentType: string,
      source: () => Uint8Array | Promise<Readable>,
      signal: AbortSignal
    ): Promise<ObjectInfo | undefined> => {
      const sidecar = contentType !== impliedContentType(key)
      const placed = await guard.prepare(dataPath(key))
      if (placed === "outside" || (sidecar && (await guard.prepare(metaPath(key))) === "outside")) return undefined
      const size = await replaceFile(dataPath(key), await source(), signal)
      if (sidecar) await replaceFile(metaPath(key), toBytes(JSON.stringify({ contentType })), signal)
      else if (placed === "existing") await unlinkIfPresent(metaPath(key))
      return { size, contentType }
    }
    const write = (op: string, key: string, contentType: string, source: () => Uint8Array | Promise<Readable>) =>
      inside(
        key,
        attempt(op, key, async (signal) => {
          for (let retries = 2;; retries--) {
            try {
              return await writeObject(key, contentType, source, signal)
            } catch (error) {
              if (retries === 0 || errorCode(error) !== "ENOENT") throw error
              guard.forget(dataPath(key))
              guard.forget(metaPath(key))
            }
          }
        })
      )
    const remove = (path: string) =>
      rm(path, { force: true }).catch((error) => errorCode(error) === "ERR_FS_EISDIR" ? undefined : Promise.reject(error))
    const prune = async (path: string) => {
      guard.forget(path)
      for (let dir = dirname(path); dir.startsWith(root + sep); dir = dirname(dir)) {
        if (!(await rmdir(dir).then(() => true, () => false))) return
      }
    }
    const walk = async (dir: string, prefix: string, keys: Array<string>): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((e) => missing(e) ? [] : Promise.reject(e))
      for (const entry of entries) {
        const key = dir === root ? entry.name : `${dir.slice(root.length + 1).split(sep).join("/")}/${entry.name}`
        if (!isSafeKey(key)) continue
        if (entry.isDirectory() && (key.startsWith(prefix) || prefix.startsWith(`${key}/`))) {
          await walk(join(dir, entry.name), prefix, keys)
        } else if (entry.isFile() && key.startsWith(prefix)) keys.push(key)
      }
    }

    return guardKeys({
      backendId: options.id,
      put: (key, body, contentType) => write("put", key, contentType, () => toBytes(body)),
      putFile: (key, localPath, contentType) => write("putFile", key, contentType, () => openRead(localPath)),
      get: (key) =>
        inside(
          key,
          attemptFound("get", key, missing, async () =>
            (await guard.allows(dataPath(key))) ? readNoFollow(dataPath(key)) : undefined)
        ),
      getToFile: (key, localPath) =>
        inside(key, infoOf(key)).pipe(
          Effect.zipLeft(
            attemptFound("getToFile", key, missing, () => openRead(dataPath(key))).pipe(
              Effect.flatMap((stream) =>
                attempt("getToFile", key, (signal) => writeFileAtomic(localPath, stream, signal))
              )
            )
          )
        ),
      head: (key) =>
        inside(key, infoOf(key)).pipe(
          Effect.map(Option.some),
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none()))
        ),
      delete: (key) =>
        inside(
          key,
          attempt("delete", key, async () => {
            if (!(await guard.allows(dataPath(key))) || !(await guard.allows(metaPath(key)))) return undefined
            await remove(dataPath(key))
            await remove(metaPath(key))
            await prune(dataPath(key))
            await prune(metaPath(key))
            return true
          })
        ).pipe(Effect.asVoid),
      list: (prefix) =>
        attempt("list", prefix, async () => {
          const keys: Array<string> = []
          await walk(root, prefix, keys)
          return keys.sort()
        })
    })
  })
