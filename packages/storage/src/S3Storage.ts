import { createReadStream } from "node:fs"
import { stat } from "node:fs/promises"
import type { Readable } from "node:stream"
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client
} from "@aws-sdk/client-s3"
import { Effect, Option, type Scope } from "effect"
import { attempt, attemptFound, toBytes, writeFileAtomic } from "./internal/io.js"
import { guardKeys } from "./internal/keys.js"
import type { ObjectInfo, StorageShape } from "./Storage.js"
import type { AwsS3Backend } from "./StorageBackendConfig.js"
import { StorageError } from "./StorageError.js"

const notFound = (cause: unknown): boolean =>
  cause instanceof Error && (cause.name === "NoSuchKey" || cause.name === "NotFound")

const clientFor = (config: typeof AwsS3Backend.Type): S3Client => {
  const host = config.endpoint === undefined ? undefined : new URL(config.endpoint).hostname
  return new S3Client({
    region: config.region ?? "us-east-1",
    ...(config.endpoint !== undefined && host !== "s3.amazonaws.com" ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle ?? (host !== undefined && !host.endsWith("amazonaws.com")),
    credentials: {
      accessKeyId: config.credentials.accessKeyId,
      secretAccessKey: config.credentials.secretAccessKey,
      ...(config.credentials.sessionToken === undefined ? {} : { sessionToken: config.credentials.sessionToken })
    },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED"
  })
}

/**
 * AWS S3 (or an S3-compatible endpoint, path-style) through `@aws-sdk/client-s3`. Checksums are
 * only computed when an operation requires them, so streamed uploads are stored as sent (STACK-NOTES 8).
 * The client is destroyed with the scope; an unparsable endpoint fails with `StorageError`.
 */
export const makeS3Storage = (
  config: typeof AwsS3Backend.Type
): Effect.Effect<StorageShape, StorageError, Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* Effect.acquireRelease(
      Effect.try({ try: () => clientFor(config), catch: (cause) => new StorageError({ operation: "connect", key: "", cause }) }),
      (c) => Effect.sync(() => c.destroy())
    )
    const Bucket = config.bucket
    const info = (size: number | undefined, contentType: string | undefined): ObjectInfo => ({
      size: size ?? 0,
      contentType: contentType ?? "application/octet-stream"
    })
    const download = (operation: string, key: string) =>
      attemptFound(operation, key, notFound, async (abortSignal) => {
        const response = await client.send(new GetObjectCommand({ Bucket, Key: key }), { abortSignal })
        return { response, body: response.Body as Readable & { transformToByteArray(): Promise<Uint8Array> } }
      })

    return guardKeys({
      backendId: config.id,
      put: (key, body, contentType) =>
        attempt("put", key, async (abortSignal) => {
          const bytes = toBytes(body)
          await client.send(
            new PutObjectCommand({ Bucket, Key: key, Body: bytes, ContentType: contentType, ContentLength: bytes.byteLength }),
            { abortSignal }
          )
          return { size: bytes.byteLength, contentType }
        }),
      putFile: (key, localPath, contentType) =>
        attempt("putFile", key, async (abortSignal) => {
          const { size } = await stat(localPath)
          const Body = createReadStream(localPath)
          await client.send(new PutObjectCommand({ Bucket, Key: key, Body, ContentType: contentType, ContentLength: size }), {
            abortSignal
          }).finally(() => Body.destroy())
          return { size, contentType }
        }),
      get: (key) =>
        download("get", key).pipe(
          Effect.flatMap(({ body }) => attempt("get", key, () => body.transformToByteArray()))
        ),
      getToFile: (key, localPath) =>
        download("getToFile", key).pipe(
          Effect.flatMap(({ body, response }) =>
            attempt("getToFile", key, (signal) => writeFileAtomic(localPath, body, signal)).pipe(
              Effect.map((size) => info(size, response.ContentType))
            )
          )
        ),
      head: (key) =>
        attemptFound("head", key, notFound, (abortSignal) =>
          client.send(new HeadObjectCommand({ Bucket, Key: key }), { abortSignal })).pipe(
            Effect.map((response) => Option.some(info(response.ContentLength, response.ContentType))),
            Effect.catchTag("ObjectNotFound", () => Effect.succeed(Option.none()))
          ),
      delete: (key) =>
        attempt("delete", key, (abortSignal) => client.send(new DeleteObjectCommand({ Bucket, Key: key }), { abortSignal }))
          .pipe(Effect.asVoid),
      list: (prefix) =>
        attempt("list", prefix, async (abortSignal) => {
          const keys: Array<string> = []
          let ContinuationToken: string | undefined
          do {
            const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }), {
              abortSignal
            })
            for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key)
            ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined
          } while (ContinuationToken !== undefined)
          return keys.sort()
        })
    })
  })
