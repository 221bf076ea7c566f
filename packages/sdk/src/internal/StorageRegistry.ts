import type { StorageShape } from "@pipeweave/storage/Storage"
import type { StorageBackendConfig } from "@pipeweave/storage/StorageBackendConfig"
import type { StorageError } from "@pipeweave/storage/StorageError"
import { Context, Effect, Layer, Scope, SynchronizedRef } from "effect"
import { StorageFailure } from "./AttemptErrors.js"

/** Builds a provider for a backend configuration (`makeStorage` of `@pipeweave/storage`). */
export type StorageFactory = (config: StorageBackendConfig) => Effect.Effect<StorageShape, StorageError, Scope.Scope>

/** The storage providers of the backends dispatches name, built once per backend and kept for the worker's life. */
export interface StorageRegistryShape {
  readonly get: (backend: StorageBackendConfig) => Effect.Effect<StorageShape, StorageFailure>
}

export class StorageRegistry extends Context.Tag("@pipeweave/sdk/StorageRegistry")<
  StorageRegistry,
  StorageRegistryShape
>() {}

interface Entry {
  readonly fingerprint: string
  readonly storage: StorageShape
}

export const makeStorageRegistry = (factory: StorageFactory): Effect.Effect<StorageRegistryShape, never, Scope.Scope> =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const cache = yield* SynchronizedRef.make(new Map<string, Entry>())
    return {
      get: (backend) =>
        SynchronizedRef.modifyEffect(cache, (entries) => {
          const fingerprint = JSON.stringify(backend)
          const hit = entries.get(backend.id)
          if (hit !== undefined && hit.fingerprint === fingerprint) return Effect.succeed([hit.storage, entries] as const)
          return factory(backend).pipe(
            Scope.extend(scope),
            Effect.map((storage) => [storage, new Map(entries).set(backend.id, { fingerprint, storage })] as const)
          )
        }).pipe(
          Effect.mapError((cause) =>
            new StorageFailure({ message: `opening storage backend '${backend.id}': ${cause.message}`, cause })
          )
        )
    }
  })

export const layerStorageRegistry = (factory: StorageFactory): Layer.Layer<StorageRegistry> =>
  Layer.scoped(StorageRegistry, makeStorageRegistry(factory))
