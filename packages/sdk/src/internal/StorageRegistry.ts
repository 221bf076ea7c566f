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
    /** The entries last built, read without the lock: a backend already built is found at once. */
    let built = new Map<string, Entry>()
    const found = (entries: Map<string, Entry>, backend: StorageBackendConfig, fingerprint: string) => {
      const hit = entries.get(backend.id)
      return hit !== undefined && hit.fingerprint === fingerprint ? hit.storage : undefined
    }
    return {
      get: (backend) => {
        const fingerprint = JSON.stringify(backend)
        const storage = found(built, backend, fingerprint)
        if (storage !== undefined) return Effect.succeed(storage)
        return SynchronizedRef.modifyEffect(cache, (entries) => {
          const hit = found(entries, backend, fingerprint)
          if (hit !== undefined) return Effect.succeed([hit, entries] as const)
          return factory(backend).pipe(
            Scope.extend(scope),
            Effect.map((storage) => {
              built = new Map(entries).set(backend.id, { fingerprint, storage })
              return [storage, built] as const
            })
          )
        }).pipe(
          Effect.mapError((cause) =>
            new StorageFailure({ message: `opening storage backend '${backend.id}': ${cause.message}`, cause })
          )
        )
      }
    }
  })

export const layerStorageRegistry = (factory: StorageFactory): Layer.Layer<StorageRegistry> =>
  Layer.scoped(StorageRegistry, makeStorageRegistry(factory))
