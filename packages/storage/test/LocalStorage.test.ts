import { existsSync } from "node:fs"
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { makeLocalStorage } from "../src/LocalStorage.js"
import { scratchDir, storageContract, UNSAFE_KEYS } from "./StorageContract.js"

storageContract("LocalStorage", Effect.flatMap(scratchDir, (dir) => makeLocalStorage({ id: "local", basePath: dir })))

const setup = Effect.gen(function*() {
  const dir = yield* scratchDir
  const basePath = join(dir, "base")
  const outside = join(dir, "outside")
  yield* Effect.promise(async () => {
    await mkdir(outside, { recursive: true })
    await writeFile(join(outside, "secret.txt"), "secret")
  })
  const storage = yield* makeLocalStorage({ id: "local", basePath })
  return { dir, basePath, outside, storage }
})

const tree = (dir: string) => Effect.promise(() => readdir(dir, { recursive: true }).then((names) => names.sort()))

describe("LocalStorage on disk", () => {
  it.scoped("stores plain files at basePath/<key>, leaves no temporary files, prunes emptied directories", () =>
    Effect.gen(function*() {
      const { basePath, storage } = yield* setup
      yield* storage.put("runs/prun_1/outputs/trun_1.json", "{\"a\":1}", "application/json")
      assert.strictEqual(yield* Effect.promise(() => readFile(join(basePath, "runs/prun_1/outputs/trun_1.json"), "utf8")),
        "{\"a\":1}")
      assert.isTrue((yield* tree(basePath)).every((name) => !name.includes(".tmp")))
      yield* storage.delete("runs/prun_1/outputs/trun_1.json")
      assert.deepStrictEqual(yield* tree(basePath), [])
    }))

  it.scoped("derives the content type from the extension for files placed by hand", () =>
    Effect.gen(function*() {
      const { basePath, storage } = yield* setup
      yield* Effect.promise(async () => {
        await mkdir(join(basePath, "manual"), { recursive: true })
        await writeFile(join(basePath, "manual/data.json"), "[1,2]")
        await writeFile(join(basePath, "manual/blob"), "xyz")
      })
      assert.deepStrictEqual(yield* storage.head("manual/data.json"), Option.some({ size: 5, contentType: "application/json" }))
      assert.deepStrictEqual(yield* storage.head("manual/blob"),
        Option.some({ size: 3, contentType: "application/octet-stream" }))
      assert.deepStrictEqual(yield* storage.list("manual/"), ["manual/blob", "manual/data.json"])
      assert.deepStrictEqual(yield* storage.head("manual"), Option.none())
    }))

  it.scoped("unsafe keys create nothing next to or above basePath", () =>
    Effect.gen(function*() {
      const { dir, storage } = yield* setup
      const before = yield* tree(dir)
      for (const key of UNSAFE_KEYS) {
        yield* Effect.flip(storage.put(key, "x", "text/plain"))
      }
      assert.deepStrictEqual(yield* tree(dir), before)
    }))

  it.scoped("refuses keys that reach outside basePath through a symlink", () =>
    Effect.gen(function*() {
      const { basePath, outside, storage } = yield* setup
      yield* Effect.promise(async () => {
        await symlink(outside, join(basePath, "link"))
        await symlink(join(outside, "secret.txt"), join(basePath, "secret-link"))
      })
      for (const key of ["link/secret.txt", "secret-link"]) {
        assert.strictEqual((yield* Effect.flip(storage.get(key)))._tag, "InvalidKey")
        assert.strictEqual((yield* Effect.flip(storage.head(key)))._tag, "InvalidKey")
        assert.strictEqual((yield* Effect.flip(storage.delete(key)))._tag, "InvalidKey")
      }
      assert.strictEqual((yield* Effect.flip(storage.put("link/new.txt", "x", "text/plain")))._tag, "InvalidKey")
      assert.strictEqual((yield* Effect.flip(storage.put("link/deeper/new.txt", "x", "text/plain")))._tag, "InvalidKey")
      assert.deepStrictEqual(yield* tree(outside), ["secret.txt"])
      assert.strictEqual(yield* Effect.promise(() => readFile(join(outside, "secret.txt"), "utf8")), "secret")
      assert.deepStrictEqual(yield* storage.list(""), [])
    }))

  it.scoped("follows symlinks that stay inside basePath", () =>
    Effect.gen(function*() {
      const { basePath, storage } = yield* setup
      yield* storage.put("real/file.txt", "inside", "text/plain")
      yield* Effect.promise(() => symlink(join(basePath, "real"), join(basePath, "alias")))
      assert.strictEqual(new TextDecoder().decode(yield* storage.get("alias/file.txt")), "inside")
    }))

  it.scoped("resolves a relative basePath to an absolute directory", () =>
    Effect.gen(function*() {
      const dir = yield* scratchDir
      const relative = join(dir, "a", "..", "rel")
      const storage = yield* makeLocalStorage({ id: "local", basePath: relative })
      yield* storage.put("k", "v", "text/plain")
      assert.isTrue(existsSync(join(dir, "rel", "k")))
    }))
})
