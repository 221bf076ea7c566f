import { stat } from "node:fs/promises"
import type { IncomingMessage } from "node:http"
import type { Readable } from "node:stream"
import { Effect, Option } from "effect"
import { Client } from "minio"
import { attempt, attemptFound, toBytes, writeFileAtomic } from "./internal/io.js"
import { guardKeys } from "./internal/keys.js"
import type { ObjectInfo, StorageShape } from "./Storage.js"
import type { MinioBackend } from "./StorageBackendConfig.js"
import { StorageError } from "./StorageError.js"

const notFound = (cause: unknown): boolean =>
  typeof cause === "object" && cause !== null && "code" in cause &&
  (cause.code === "NoSuchKey" || cause.code === "NotFound")

const clientFor = (config: typeof MinioBackend.Type): Client => {
  if (config.endpoint === undefined) throw new Error("a MinIO backend needs an endpoint, e.g. http://localhost:9000")
  const url = new URL(config.endpoint)
  const useSSL = url.protocol === "https:"
  return new Client({
    endPoint: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? (useSSL ? 443 : 80) : Number(url.port),
    useSSL,
    accessKey: config.credentials.accessKey,
    secretKey: config.credentials.secretKey,
    pathStyle: true,
    region: config.region ?? "us-east-1"
  })
}

const contentTypeOf = (metaData: Record<string, unknown>): string =>
  String(metaData["content-type"] ?? metaData["Content-Type"] ?? "application/octet-stream")

/**
 * MinIO (or any S3-compatible server) through the `minio` client, path-style, with the region
 * fixed (default `us-east-1`) so no GetBucketLocation call is made. `putFile` goes through the
 * client's `fPutObject`, which buffers a file up to one part (64 MiB) to sign it and sends larger
 * files as a multipart upload; downloads are streamed.
 */
export const makeMinioStorage = (config: typeof MinioBackend.Type): Effect.Effect<StorageShape, StorageError> =>
  Effect.gen(function*() {
    const client = yield* Effect.try({
      try: () => clientFor(config),
      catch: (cause) => new StorageError({ operation: "connect", key: "", cause })
    })
    const bucket = config.bucket
    const download = (operation: string, key: string) =>
      attemptFound(operation, key, notFound, () => client.getObject(bucket, key) as Promise<Readable & IncomingMessage>)
    const infoOf = (response: IncomingMessage, size: number): ObjectInfo => ({
      size,
      contentType: response.headers["content-type"] ?? "application/octet-stream"
    })

    return guardKeys({
      backendId: config.id,
      put: (key, body, contentType) =>
        attempt("put", key, async () => {
          const bytes = Buffer.from(toBytes(body))
          await client.putObject(bucket, key, bytes, bytes.byteLength, { "Content-Type": contentType })
          return { size: bytes.byteLength, contentType }
        }),
      putFile: (key, localPath, contentType) =>
        attempt("putFile", key, async () => {
          const { size } = await stat(localPath)
          await client.fPutObject(bucket, key, localPath, { "Content-Type": contentType })
          return { size, contentType }
        }),
      get: (key) =>
        download("get", key).pipe(
          Effect.flatMap((response) =>
            attempt("get", key, async () => {
              const chunks: Array<Buffer> = []
              for await (const chunk of response) chunks.push(chunk as Buffer)
              return new Uint8Array(Buffer.concat(chunks))
            })
          )
        ),
      getToFile: (key, localPath) =>
        download("getToFile", key).pipe(
          Effect.flatMap((response) =>
            attempt("getToFile", key, (signal) => writeFileAtomic(localPath, response, signal)).pipe(
              Effect.map((size) => infoOf(response, size))
            )
          )
        ),
      head: (key) =>
        attemptFound("head", key, notFound, () => client.statObject(bucket, key)).pipe(
          Effect.map((item) => Option.some({ size: item.size, contentType: contentTypeOf(item.metaData) })),
          Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none()))
        ),
      delete: (key) => attempt("delete", key, () => client.removeObject(bucket, key)),
      list: (prefix) =>
        attempt("list", prefix, async () => {
          const keys: Array<string> = []
          for await (const item of client.listObjectsV2(bucket, prefix, true)) {
            if (typeof item.name === "string") keys.push(item.name)
          }
          return keys.sort()
        })
    })
  })
