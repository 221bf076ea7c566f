import { Effect, Layer, type Scope } from "effect"
import { makeLocalStorage } from "./LocalStorage.js"
import { Storage, type StorageShape } from "./Storage.js"
import type { StorageBackendConfig } from "./StorageBackendConfig.js"
import { StorageError } from "./StorageError.js"

/**
 * Loads a provider module on first use, so a process only pays (in start-up time and memory) for
 * the client libraries of the backends it actually uses.
 */
const provider = <M>(id: string, load: () => Promise<M>) =>
  Effect.tryPromise({
    try: load,
    catch: (cause) => new StorageError({ operation: "open", key: id, cause })
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
      return Effect.flatMap(provider(config.id, () => import("./S3Storage.js")), (m) => m.makeS3Storage(config))
    case "minio":
      return Effect.flatMap(provider(config.id, () => import("./MinioStorage.js")), (m) => m.makeMinioStorage(config))
    case "gcs":
      return Effect.flatMap(provider(config.id, () => import("./GcsStorage.js")), (m) => m.makeGcsStorage(config))
  }
}

/** The `Storage` service for one backend config. */
export const layerStorage = (config: StorageBackendConfig): Layer.Layer<Storage, StorageError> =>
  Layer.scoped(Storage, makeStorage(config))
