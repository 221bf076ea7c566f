import { mkdir, open, readdir, readFile, realpath, rm, rmdir, stat } from "node:fs/promises"
import { dirname, extname, join, resolve, sep } from "node:path"
import type { Readable } from "node:stream"
import { isSafeKey } from "@pipeweave/domain/StorageKeys"
import { Effect, Option } from "effect"
import { attempt, attemptFound, errorCode, toBytes, writeFileAtomic } from "./internal/io.js"
import { guardKeys } from "./internal/keys.js"
import type { ObjectInfo, StorageShape } from "./Storage.js"
import { InvalidKey, type StorageError } from "./StorageError.js"

/** Where a local backend keeps its objects. */
export interface LocalStorageOptions {
  readonly id: string
  readonly basePath: string
}

const META_DIR = "~meta"
const byExtension: Record<string, string> = {
  ".json": "application/json",
  ".jsonl": "application/x-ndjson",
  ".txt": "text/plain",
  ".log": "text/plain",
  ".csv": "text/csv",
  ".html": "text/html",
  ".pdf": "application/pdf",
  ".png": "image/png",
  ".jpg": "image/jpeg"
}
const missing = (cause: unknown) => ["ENOENT", "ENOTDIR", "EISDIR"].includes(String(errorCode(cause)))
const openRead = async (path: string): Promise<Readable> => (await open(path, "r")).createReadStream()

/**
 * Objects as plain files under `basePath/<key>`, content types in a `~meta/<key>` sidecar tree (a
 * name no key can take; the key's extension decides when the sidecar is missing). Writes go to a
 * temporary sibling renamed into place; a key reaching outside the base through a symlink fails
 * with `InvalidKey`.
 */
export const makeLocalStorage = (options: LocalStorageOptions): Effect.Effect<StorageShape, StorageError> =>
  Effect.gen(function*() {
    const root = yield* attempt("open", options.basePath, async () => {
      await mkdir(resolve(options.basePath), { recursive: true })
      return realpath(resolve(options.basePath))
    })
    const dataPath = (key: string) => join(root, ...key.split("/"))
    const metaPath = (key: string) => join(root, META_DIR, ...key.split("/"))

    const realAncestor = async (path: string): Promise<string> => {
      for (let probe = path;; probe = dirname(probe)) {
        if (probe === root || dirname(probe) === probe) return probe
        const real = await realpath(probe).catch((error) => missing(error) ? undefined : Promise.reject(error))
        if (real !== undefined) return real
      }
    }
    const within = (key: string, ...paths: ReadonlyArray<string>): Effect.Effect<void, InvalidKey | StorageError> =>
      Effect.forEach(paths, (path) =>
        attempt("resolve", key, () => realAncestor(path)).pipe(
          Effect.filterOrFail((real) => real === root || real.startsWith(root + sep), () => new InvalidKey({ key }))
        ), { discard: true })

    const infoOf = (key: string) =>
      attemptFound("head", key, missing, async (): Promise<ObjectInfo> => {
        const stats = await stat(dataPath(key))
        if (!stats.isFile()) throw Object.assign(new Error(`${key} is a directory`), { code: "EISDIR" })
        const contentType = await readFile(metaPath(key), "utf8").then(
          (text) => String((JSON.parse(text) as { contentType: unknown }).contentType),
          () => byExtension[extname(key)] ?? "application/octet-stream"
        )
        return { size: stats.size, contentType }
      })
    const write = (op: string, key: string, contentType: string, source: () => Uint8Array | Promise<Readable>) =>
      Effect.zipRight(
        within(key, dataPath(key), metaPath(key)),
        attempt(op, key, async (signal): Promise<ObjectInfo> => {
          const size = await writeFileAtomic(dataPath(key), await source(), signal)
          await writeFileAtomic(metaPath(key), toBytes(JSON.stringify({ contentType })), signal)
          return { size, contentType }
        }).pipe(Effect.retry({ times: 2, while: (error) => errorCode(error.cause) === "ENOENT" }))
      )
    const remove = (path: string) =>
      rm(path, { force: true }).catch((error) => errorCode(error) === "ERR_FS_EISDIR" ? undefined : Promise.reject(error))
    const prune = async (path: string) => {
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
        Effect.zipRight(within(key, dataPath(key)), attemptFound("get", key, missing, () => readFile(dataPath(key)))),
      getToFile: (key, localPath) =>
        Effect.zipRight(within(key, dataPath(key)), infoOf(key)).pipe(
          Effect.zipLeft(
            attemptFound("getToFile", key, missing, () => openRead(dataPath(key))).pipe(
              Effect.flatMap((stream) =>
                attempt("getToFile", key, (signal) => writeFileAtomic(localPath, stream, signal))
              )
            )
          )
        ),
      head: (key) =>
        Effect.zipRight(within(key, dataPath(key)), infoOf(key)).pipe(
          Effect.map(Option.some),
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none()))
        ),
      delete: (key) =>
        Effect.zipRight(
          within(key, dataPath(key), metaPath(key)),
          attempt("delete", key, async () => {
            await remove(dataPath(key))
            await remove(metaPath(key))
            await prune(dataPath(key))
            await prune(metaPath(key))
          })
        ),
      list: (prefix) =>
        attempt("list", prefix, async () => {
          const keys: Array<string> = []
          await walk(root, prefix, keys)
          return keys.sort()
        })
    })
  })
