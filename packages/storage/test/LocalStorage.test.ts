import { existsSync } from "node:fs"
import { mkdir, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises"
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

  it.scoped("never follows a symlink, even one that stays inside basePath", () =>
    Effect.gen(function*() {
      const { basePath, storage } = yield* setup
      yield* storage.put("real/file.txt", "inside", "text/plain")
      yield* Effect.promise(async () => {
        await symlink(join(basePath, "real"), join(basePath, "alias"))
        await symlink(join(basePath, "real", "file.txt"), join(basePath, "file-link.txt"))
      })
      for (const key of ["alias/file.txt", "file-link.txt"]) {
        assert.strictEqual((yield* Effect.flip(storage.get(key)))._tag, "InvalidKey")
        assert.strictEqual((yield* Effect.flip(storage.head(key)))._tag, "InvalidKey")
      }
      assert.strictEqual((yield* Effect.flip(storage.put("alias/new.txt", "x", "text/plain")))._tag, "InvalidKey")
      assert.deepStrictEqual(yield* storage.list(""), ["real/file.txt"])
    }))

  it.scoped("resolves a relative basePath to an absolute directory", () =>
    Effect.gen(function*() {
      const dir = yield* scratchDir
      const relative = join(dir, "a", "..", "rel")
      const storage = yield* makeLocalStorage({ id: "local", basePath: relative })
      yield* storage.put("k", "v", "text/plain")
      assert.isTrue(existsSync(join(dir, "rel", "k")))
    }))

  it.scoped("writes a ~meta sidecar only for a content type the key's extension does not imply", () =>
    Effect.gen(function*() {
      const { basePath, storage } = yield* setup
      yield* storage.put("runs/r/outputs/t.json", "{}", "application/json")
      yield* storage.put("runs/r/logs/t.jsonl", "{}\n", "application/x-ndjson")
      yield* storage.put("runs/r/assets/t/report", "text", "text/plain; charset=utf-8")
      assert.deepStrictEqual((yield* tree(basePath)).filter((name) => name.startsWith("~meta/runs/r/")), [
        "~meta/runs/r/assets",
        "~meta/runs/r/assets/t",
        "~meta/runs/r/assets/t/report"
      ])
      yield* storage.put("runs/r/outputs/t.json", "{}", "text/plain")
      assert.deepStrictEqual(yield* storage.head("runs/r/outputs/t.json"), Option.some({ size: 2, contentType: "text/plain" }))
      yield* storage.put("runs/r/outputs/t.json", "{}", "application/json")
      assert.deepStrictEqual(yield* storage.head("runs/r/outputs/t.json"),
        Option.some({ size: 2, contentType: "application/json" }))
      assert.isFalse(existsSync(join(basePath, "~meta/runs/r/outputs/t.json")))
      assert.deepStrictEqual(yield* storage.head("runs/r/assets/t/report"),
        Option.some({ size: 4, contentType: "text/plain; charset=utf-8" }))
    }))

  it.scoped("a symlink placed after earlier writes is refused in the directories it reaches", () =>
    Effect.gen(function*() {
      const { basePath, outside, storage } = yield* setup
      yield* storage.put("runs/a/outputs/x.json", "1", "application/json")
      yield* Effect.promise(() => symlink(outside, join(basePath, "runs", "b")))
      assert.strictEqual((yield* Effect.flip(storage.put("runs/b/outputs/y.json", "x", "application/json")))._tag, "InvalidKey")
      assert.strictEqual((yield* Effect.flip(storage.get("runs/b/secret.txt")))._tag, "InvalidKey")
      assert.deepStrictEqual(yield* tree(outside), ["secret.txt"])
    }))

  it.scoped("directories removed by a delete or behind its back are created again", () =>
    Effect.gen(function*() {
      const { basePath, storage } = yield* setup
      yield* storage.put("runs/a/outputs/x.json", "1", "application/json")
      yield* storage.put("runs/a/assets/x/pdf", "2", "application/pdf+x")
      yield* storage.delete("runs/a/outputs/x.json")
      yield* storage.delete("runs/a/assets/x/pdf")
      assert.deepStrictEqual(yield* tree(basePath), [])
      yield* storage.put("runs/a/outputs/x.json", "3", "application/json")
      yield* storage.put("runs/a/assets/x/pdf", "4", "application/pdf+x")
      yield* Effect.promise(() => rm(join(basePath, "runs"), { recursive: true }))
      yield* Effect.promise(() => rm(join(basePath, "~meta"), { recursive: true }))
      yield* storage.put("runs/a/outputs/x.json", "5", "application/json")
      yield* storage.put("runs/a/assets/x/pdf", "6", "application/pdf+x")
      assert.strictEqual(new TextDecoder().decode(yield* storage.get("runs/a/outputs/x.json")), "5")
      assert.deepStrictEqual(yield* storage.head("runs/a/assets/x/pdf"), Option.some({ size: 1, contentType: "application/pdf+x" }))
    }))
})

