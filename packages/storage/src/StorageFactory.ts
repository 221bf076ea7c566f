import { Effect, Layer, type Scope } from "effect"
import { makeLocalStorage } from "./LocalStorage.js"
import { Storage, type StorageShape } from "./Storage.js"
import type { StorageBackendConfig } from "./StorageBackendConfig.js"
import { StorageError } from "./StorageError.js"

/** The client library each provider loads, and the range to install (optional peer dependencies). */
export const PROVIDER_PACKAGES = {
  "aws-s3": "@aws-sdk/client-s3@3.1175.0",
  "minio": "minio@^8.0.0",
  "gcs": "@google-cloud/storage@^7.19.0"
} as const

const packageName = (spec: string) => spec.slice(0, spec.lastIndexOf("@"))

/**
 * Loads a provider module on first use, so a process only pays (in install size, start-up time
 * and memory) for the client libraries of the backends it actually uses. When the provider's
 * client library is not installed, the error names the package to install.
 */
export const loadProvider = <M>(
  id: string,
  provider: keyof typeof PROVIDER_PACKAGES,
  load: () => Promise<M>
): Effect.Effect<M, StorageError> =>
  Effect.tryPromise({
    try: load,
    catch: (cause) => {
      const spec = PROVIDER_PACKAGES[provider]
      const missing = (cause as { code?: unknown })?.code === "ERR_MODULE_NOT_FOUND" &&
        String((cause as Error).message).includes(`'${packageName(spec)}'`)
      return new StorageError({
        operation: "open",
        key: id,
        cause: missing
          ? new Error(
            `the ${provider} provider needs ${packageName(spec)}, which is not installed: npm install ${spec}`,
            { cause }
          )
          : cause
      })
    }
  })

/**
 * Builds the provider a backend config names (the worker calls this after opening a storage
 * token). Resources such as the S3 client are released with the scope.
 */
export const makeStorage = (config: StorageBackendConfig): Effect.Effect<StorageShape, StorageError, Scope.Scope> => {
  switch (config.provider) {
    case "local":
      return makeLocalStorage({ id: config.id, basePath: config.credentials.basePath })
    case "aws-s3":
      return Effect.flatMap(loadProvider(config.id, "aws-s3", () => import("./S3Storage.js")), (m) => m.makeS3Storage(config))
    case "minio":
      return Effect.flatMap(loadProvider(config.id, "minio", () => import("./MinioStorage.js")), (m) => m.makeMinioStorage(config))
    case "gcs":
      return Effect.flatMap(loadProvider(config.id, "gcs", () => import("./GcsStorage.js")), (m) => m.makeGcsStorage(config))
  }
}

/** The `Storage` service for one backend config. */
export const layerStorage = (config: StorageBackendConfig): Layer.Layer<Storage, StorageError> =>
  Layer.scoped(Storage, makeStorage(config))
