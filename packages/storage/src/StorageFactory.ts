import { Effect, Layer, type Scope } from "effect"
import { makeGcsStorage } from "./GcsStorage.js"
import { makeLocalStorage } from "./LocalStorage.js"
import { makeMinioStorage } from "./MinioStorage.js"
import { makeS3Storage } from "./S3Storage.js"
import { Storage, type StorageShape } from "./Storage.js"
import type { StorageBackendConfig } from "./StorageBackendConfig.js"
import type { StorageError } from "./StorageError.js"

/**
 * Builds the provider a backend config names (the worker calls this after opening a storage
 * token). Resources such as the S3 client are released with the scope.
 */
export const makeStorage = (config: StorageBackendConfig): Effect.Effect<StorageShape, StorageError, Scope.Scope> => {
  switch (config.provider) {
    case "local":
      return makeLocalStorage({ id: config.id, basePath: config.credentials.basePath })
    case "aws-s3":
      return makeS3Storage(config)
    case "minio":
      return makeMinioStorage(config)
    case "gcs":
      return makeGcsStorage(config)
  }
}

/** The `Storage` service for one backend config. */
export const layerStorage = (config: StorageBackendConfig): Layer.Layer<Storage, StorageError> =>
  Layer.scoped(Storage, makeStorage(config))
