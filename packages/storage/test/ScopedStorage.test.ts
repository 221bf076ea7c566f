import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeMemoryStorage } from "../src/MemoryStorage.js"
import { scopedStorage } from "../src/ScopedStorage.js"

describe("scopedStorage", () => {
  it.effect("refuses reads and writes outside the scope before they reach the backend", () =>
    Effect.gen(function*() {
      const backend = makeMemoryStorage("memory")
      yield* backend.put("runs/other/outputs/trun_b.json", "victim", "application/json")
      yield* backend.put("standalone/trun_a/input.json", "{}", "application/json")
      const view = scopedStorage(backend, {
        canRead: (key) => key === "standalone/trun_a/input.json" || key.startsWith("runs/trun_a/"),
        canWrite: (key) => key === "runs/trun_a/outputs/trun_a.json",
        describe: "run trun_a attempt 1"
      })
      yield* view.put("runs/trun_a/outputs/trun_a.json", "mine", "application/json")
      assert.strictEqual(Buffer.from(yield* view.get("standalone/trun_a/input.json")).toString(), "{}")
      const refused = yield* Effect.flip(view.put("runs/other/outputs/trun_b.json", "overwritten", "application/json"))
      assert.include(refused.message, "outside the storage scope of run trun_a attempt 1")
      yield* Effect.flip(view.delete("runs/other/outputs/trun_b.json"))
      yield* Effect.flip(view.get("runs/other/outputs/trun_b.json"))
      yield* Effect.flip(view.list("runs/"))
      assert.strictEqual(Buffer.from(yield* backend.get("runs/other/outputs/trun_b.json")).toString(), "victim")
    }))
})
