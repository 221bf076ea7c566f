import { taggedUnion } from "@pipeweave/domain/TaggedUnion"
import { Schema } from "effect"

const common = {
  id: Schema.String.pipe(Schema.minLength(1, { message: () => "id must not be empty" })),
  endpoint: Schema.optional(Schema.String),
  isDefault: Schema.optional(Schema.Boolean)
}

/** Local filesystem under `credentials.basePath` (development). */
export const LocalBackend = Schema.Struct({
  ...common,
  provider: Schema.Literal("local"),
  bucket: Schema.optional(Schema.String),
  credentials: Schema.Struct({ basePath: Schema.String.pipe(Schema.minLength(1)) })
})

/** AWS S3 or any S3-compatible endpoint through the AWS SDK. */
export const AwsS3Backend = Schema.Struct({
  ...common,
  provider: Schema.Literal("aws-s3"),
  bucket: Schema.String,
  region: Schema.optional(Schema.String),
  forcePathStyle: Schema.optional(Schema.Boolean),
  credentials: Schema.Struct({
    accessKeyId: Schema.String,
    secretAccessKey: Schema.String,
    sessionToken: Schema.optional(Schema.String)
  })
})

/**
 * Google Cloud Storage with a service account. `useAuthWithCustomEndpoint` decides whether requests
 * to an `endpoint` other than storage.googleapis.com are authenticated; it defaults to true for
 * `*.googleapis.com` hosts and false otherwise (emulators).
 */
export const GcsBackend = Schema.Struct({
  ...common,
  provider: Schema.Literal("gcs"),
  bucket: Schema.String,
  useAuthWithCustomEndpoint: Schema.optional(Schema.Boolean),
  credentials: Schema.Struct({ projectId: Schema.String, clientEmail: Schema.String, privateKey: Schema.String })
})

/** MinIO through the MinIO client. */
export const MinioBackend = Schema.Struct({
  ...common,
  provider: Schema.Literal("minio"),
  bucket: Schema.String,
  region: Schema.optional(Schema.String),
  credentials: Schema.Struct({ accessKey: Schema.String, secretKey: Schema.String })
})

/** One entry of `STORAGE_BACKENDS` (spec "Multi-Storage Backend Support"). */
export const StorageBackendConfig = taggedUnion("provider", LocalBackend, AwsS3Backend, GcsBackend, MinioBackend)
export type StorageBackendConfig = typeof StorageBackendConfig.Type
