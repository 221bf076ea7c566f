import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import { pipeline } from "node:stream/promises"
import { Storage as GoogleStorage } from "@google-cloud/storage"
import { Effect, Option } from "effect"
import { attempt, attemptFound, toBytes, writeFileAtomic } from "./internal/io.js"
import { guardKeys } from "./internal/keys.js"
import type { ObjectInfo, StorageShape } from "./Storage.js"
import type { GcsBackend } from "./StorageBackendConfig.js"
import { StorageError } from "./StorageError.js"

const DEFAULT_ENDPOINT = "https://storage.googleapis.com"
const RESUMABLE_THRESHOLD = 5 * 1024 * 1024

const notFound = (cause: unknown): boolean =>
  typeof cause === "object" && cause !== null && "code" in cause && cause.code === 404

const clientFor = (config: typeof GcsBackend.Type): GoogleStorage => {
  const endpoint = config.endpoint?.replace(/\/+$/, "")
  const credentials = {
    client_email: config.credentials.clientEmail,
    private_key: config.credentials.privateKey.replace(/\\n/g, "\n")
  }
  if (endpoint === undefined || endpoint === DEFAULT_ENDPOINT) {
    return new GoogleStorage({ projectId: config.credentials.projectId, credentials })
  }
  const googleHost = /(^|\.)googleapis\.com$/.test(new URL(endpoint).hostname)
  return new GoogleStorage({
    projectId: config.credentials.projectId,
    credentials,
    apiEndpoint: endpoint,
    useAuthWithCustomEndpoint: config.useAuthWithCustomEndpoint ?? googleHost
  })
}

const infoOf = (metadata: { readonly size?: string | number; readonly contentType?: string }): ObjectInfo => ({
  size: Number(metadata.size ?? 0),
  contentType: metadata.contentType ?? "application/octet-stream"
})

/**
 * Google Cloud Storage through `@google-cloud/storage` 7 with a service account. Uploads are checked
 * against the server's CRC32C; `putFile` streams from disk (resumable above 5 MiB) and `getToFile`
 * streams to disk. `endpoint` other than storage.googleapis.com becomes the client's `apiEndpoint`.
 */
export const makeGcsStorage = (config: typeof GcsBackend.Type): Effect.Effect<StorageShape, StorageError> =>
  Effect.gen(function*() {
    const client = yield* Effect.try({
      try: () => clientFor(config),
      catch: (cause) => new StorageError({ operation: "connect", key: "", cause })
    })
    const bucket = client.bucket(config.bucket)
    const metadataOf = (operation: string, key: string) =>
      attemptFound(operation, key, notFound, async () => infoOf((await bucket.file(key).getMetadata())[0]))

    return guardKeys({
      backendId: config.id,
      put: (key, body, contentType) =>
        attempt("put", key, async () => {
          const bytes = Buffer.from(toBytes(body))
          await bucket.file(key).save(bytes, { resumable: false, metadata: { contentType } })
          return { size: bytes.byteLength, contentType }
        }),
      putFile: (key, localPath, contentType) =>
        attempt("putFile", key, async (signal) => {
          const { size } = await stat(localPath)
          const upload = bucket.file(key).createWriteStream({
            resumable: size > RESUMABLE_THRESHOLD,
            metadata: { contentType }
          })
          await pipeline(createReadStream(localPath), upload, { signal })
          return { size, contentType }
        }),
      get: (key) =>
        attemptFound("get", key, notFound, async () => new Uint8Array((await bucket.file(key).download())[0])),
      getToFile: (key, localPath) =>
        metadataOf("getToFile", key).pipe(
          Effect.zipLeft(
            attemptFound("getToFile", key, notFound, (signal) =>
              writeFileAtomic(localPath, bucket.file(key).createReadStream(), signal))
          )
        ),
      head: (key) =>
        metadataOf("head", key).pipe(
          Effect.map(Option.some),
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none()))
        ),
      delete: (key) => attempt("delete", key, () => bucket.file(key).delete({ ignoreNotFound: true })).pipe(Effect.asVoid),
      list: (prefix) =>
        attempt("list", prefix, async () => {
          const [files] = await bucket.getFiles({ prefix, autoPaginate: true })
          return files.map((file) => file.name).sort()
        })
    })
  })
