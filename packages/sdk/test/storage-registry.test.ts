import { assert, describe, it } from "@effect/vitest"
import type { StorageBackendConfig } from "@pipeweave/storage/StorageBackendConfig"
import { makeMemoryStorage } from "@pipeweave/storage/MemoryStorage"
import { StorageError } from "@pipeweave/storage/StorageError"
import { Effect } from "effect"
import { makeStorageRegistry } from "../src/internal/StorageRegistry.js"

const local = (basePath: string): StorageBackendConfig => ({ id: "local", provider: "local", credentials: { basePath } })

describe("the worker's storage registry", () => {
  it.scoped("builds a backend once, again when its configuration changes, and once for concurrent first uses", () =>
    Effect.gen(function*() {
      const built: Array<string> = []
      const registry = yield* makeStorageRegistry((config) =>
        Effect.sync(() => {
          built.push(JSON.stringify(config))
          return makeMemoryStorage(config.id)
        }))
      const [a, b] = yield* Effect.all([registry.get(local("/srv/a")), registry.get(local("/srv/a"))], { concurrency: 2 })
      assert.strictEqual(a, b)
      assert.strictEqual(yield* registry.get(local("/srv/a")), a)
      assert.strictEqual(built.length, 1)
      const moved = yield* registry.get(local("/srv/b"))
      assert.notStrictEqual(moved, a)
      assert.strictEqual(yield* registry.get(local("/srv/b")), moved)
      assert.strictEqual(built.length, 2)
    }))

  it.scoped("a backend that cannot be built fails the get with a StorageFailure naming it, and is tried again next time", () =>
    Effect.gen(function*() {
      let attempts = 0
      const registry = yield* makeStorageRegistry((config) =>
        Effect.suspend(() =>
          ++attempts === 1
            ? Effect.fail(new StorageError({ operation: "open", key: "", cause: new Error("no such bucket") }))
            : Effect.succeed(makeMemoryStorage(config.id))
        ))
      const error = yield* Effect.flip(registry.get(local("/srv/a")))
      assert.strictEqual(error._tag, "StorageFailure")
      assert.include(error.message, "opening storage backend 'local'")
      assert.include(error.message, "no such bucket")
      yield* registry.get(local("/srv/a"))
      assert.strictEqual(attempts, 2)
    }))
})
