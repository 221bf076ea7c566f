import { randomUUID } from "node:crypto"
import { createWriteStream } from "node:fs"
import { mkdir, rename, rm, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import type { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { Effect } from "effect"
import { ObjectNotFound, StorageError } from "../StorageError.js"

export const toBytes = (body: Uint8Array | string): Uint8Array =>
  typeof body === "string" ? new TextEncoder().encode(body) : body

export const attempt = <A>(
  operation: string,
  key: string,
  run: (signal: AbortSignal) => Promise<A>
): Effect.Effect<A, StorageError> =>
  Effect.tryPromise({ try: run, catch: (cause) => new StorageError({ operation, key, cause }) })

export const attemptFound = <A>(
  operation: string,
  key: string,
  isNotFound: (cause: unknown) => boolean,
  run: (signal: AbortSignal) => Promise<A>
): Effect.Effect<A, StorageError | ObjectNotFound> =>
  Effect.tryPromise({
    try: run,
    catch: (cause) => isNotFound(cause) ? new ObjectNotFound({ key }) : new StorageError({ operation, key, cause })
  })

export const errorCode = (cause: unknown): unknown =>
  typeof cause === "object" && cause !== null && "code" in cause ? cause.code : undefined

const temporarySibling = (path: string): string => `${path}.~${randomUUID()}.tmp`

/** Writes `source` to a temporary sibling of `path` (whose directory exists), renamed into place; resolves to the byte count. */
export const replaceFile = async (
  path: string,
  source: Uint8Array | Readable,
  signal?: AbortSignal
): Promise<number> => {
  const temp = temporarySibling(path)
  try {
    let size: number
    if (source instanceof Uint8Array) {
      await writeFile(temp, source, signal ? { flag: "wx", signal } : { flag: "wx" })
      size = source.byteLength
    } else {
      const sink = createWriteStream(temp, { flags: "wx" })
      await pipeline(source, sink, signal ? { signal } : {})
      size = sink.bytesWritten
    }
    await rename(temp, path)
    return size
  } catch (error) {
    if (!(source instanceof Uint8Array)) source.destroy()
    await rm(temp, { force: true })
    throw error
  }
}

/** `replaceFile`, creating `path`'s directory first. */
export const writeFileAtomic = async (
  path: string,
  source: Uint8Array | Readable,
  signal?: AbortSignal
): Promise<number> => {
  try {
    await mkdir(dirname(path), { recursive: true })
  } catch (error) {
    if (!(source instanceof Uint8Array)) source.destroy()
    throw error
  }
  return replaceFile(path, source, signal)
}
