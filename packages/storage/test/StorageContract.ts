import { randomBytes } from "node:crypto"
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Option, type Scope } from "effect"
import { Storage, type StorageShape } from "../src/Storage.js"

/** The keys every provider must refuse (spec: keys never escape a backend's base). */
export const UNSAFE_KEYS = ["../x", "/abs", "a/../../b", "a//b", ""] as const

/** A temporary directory removed with the scope. */
export const scratchDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "pipeweave-storage-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

export const assertSameBytes = (actual: Uint8Array, expected: Uint8Array): void => {
  assert.strictEqual(actual.byteLength, expected.byteLength, "byte length")
  assert.isTrue(Buffer.from(actual).equals(Buffer.from(expected)), "bytes differ")
}

const text = new TextDecoder()

/** The behaviour every `StorageShape` provider shares, run against one backend built by `make`. */
export const storageContract = (name: string, make: Effect.Effect<StorageShape, unknown, Scope.Scope>): void =>
  layer(Layer.scoped(Storage, make), { timeout: "60 seconds", excludeTestServices: true })(name, (it) => {
    it.effect("round-trips bytes and strings, reporting size and content type", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const bytes = Uint8Array.from({ length: 256 }, (_, i) => i)
        const put = yield* storage.put("rt/bytes.bin", bytes, "application/octet-stream")
        assert.deepStrictEqual(put, { size: 256, contentType: "application/octet-stream" })
        assertSameBytes(yield* storage.get("rt/bytes.bin"), bytes)

        const unicode = "héllo ✓ wörld"
        const info = yield* storage.put("rt/text.txt", unicode, "text/plain; charset=utf-8")
        assert.deepStrictEqual(info, { size: Buffer.byteLength(unicode), contentType: "text/plain; charset=utf-8" })
        assert.strictEqual(text.decode(yield* storage.get("rt/text.txt")), unicode)

        const empty = yield* storage.put("rt/empty", new Uint8Array(0), "application/octet-stream")
        assert.strictEqual(empty.size, 0)
        assert.strictEqual((yield* storage.get("rt/empty")).byteLength, 0)
      }))

    it.effect("head reports size and content type; an overwrite replaces both", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.put("head/a", JSON.stringify({ ok: true }), "application/json")
        assert.deepStrictEqual(yield* storage.head("head/a"), Option.some({ size: 11, contentType: "application/json" }))
        yield* storage.put("head/a", "plain text", "text/plain")
        assert.deepStrictEqual(yield* storage.head("head/a"), Option.some({ size: 10, contentType: "text/plain" }))
        assert.strictEqual(text.decode(yield* storage.get("head/a")), "plain text")
        assert.deepStrictEqual(yield* storage.head("head/missing"), Option.none())
      }))

    it.scoped("putFile/getToFile stream a multi-megabyte file byte for byte (no chunk framing)", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const dir = yield* scratchDir
        const source = randomBytes(6 * 1024 * 1024 + 1234)
        yield* Effect.promise(() => writeFile(join(dir, "source.bin"), source))

        const put = yield* storage.putFile("files/big.bin", join(dir, "source.bin"), "application/pdf")
        assert.deepStrictEqual(put, { size: source.byteLength, contentType: "application/pdf" })
        assert.deepStrictEqual(yield* storage.head("files/big.bin"), Option.some(put))

        const target = join(dir, "nested", "copy.bin")
        const got = yield* storage.getToFile("files/big.bin", target)
        assert.deepStrictEqual(got, put)
        assertSameBytes(yield* Effect.promise(() => readFile(target)), source)
        assertSameBytes(yield* storage.get("files/big.bin"), source)

        yield* Effect.promise(() => writeFile(join(dir, "small.txt"), "small"))
        yield* storage.putFile("files/small.txt", join(dir, "small.txt"), "text/plain")
        assert.strictEqual(text.decode(yield* storage.get("files/small.txt")), "small")
      }))

    it.scoped("a missing object is ObjectNotFound for get/getToFile, none for head, and deletes quietly", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const dir = yield* scratchDir
        const notFound = yield* Effect.flip(storage.get("missing/object.json"))
        assert.strictEqual(notFound._tag, "ObjectNotFound")
        assert.strictEqual(notFound._tag === "ObjectNotFound" && notFound.key, "missing/object.json")
        const viaFile = yield* Effect.flip(storage.getToFile("missing/object.json", join(dir, "out.json")))
        assert.strictEqual(viaFile._tag, "ObjectNotFound")
        assert.isFalse(existsSync(join(dir, "out.json")))
        assert.deepStrictEqual(yield* storage.head("missing/object.json"), Option.none())
        yield* storage.delete("missing/object.json")
      }))

    it.effect("list returns every key under a prefix, sorted", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        for (const key of ["list/b.json", "list/a/2.json", "list-other/x", "list/c", "list/a/10.json", "lis"]) {
          yield* storage.put(key, key, "text/plain")
        }
        assert.deepStrictEqual(yield* storage.list("list/"), ["list/a/10.json", "list/a/2.json", "list/b.json", "list/c"])
        assert.deepStrictEqual(yield* storage.list("list/a"), ["list/a/10.json", "list/a/2.json"])
        assert.deepStrictEqual(yield* storage.list("list"), [
          "list-other/x",
          "list/a/10.json",
          "list/a/2.json",
          "list/b.json",
          "list/c"
        ])
        assert.deepStrictEqual(yield* storage.list("nothing/here/"), [])
        const all = yield* storage.list("")
        assert.deepStrictEqual(all, [...all].sort())
        assert.includeMembers([...all], ["lis", "list/c"])
      }))

    it.effect("delete removes an object and its listing", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        yield* storage.put("del/keep", "keep", "text/plain")
        yield* storage.put("del/gone/x.json", "{}", "application/json")
        yield* storage.delete("del/gone/x.json")
        assert.deepStrictEqual(yield* storage.head("del/gone/x.json"), Option.none())
        assert.strictEqual((yield* Effect.flip(storage.get("del/gone/x.json")))._tag, "ObjectNotFound")
        assert.deepStrictEqual(yield* storage.list("del/"), ["del/keep"])
      }))

    it.scoped("refuses unsafe keys with InvalidKey and changes nothing", () =>
      Effect.gen(function*() {
        const storage = yield* Storage
        const dir = yield* scratchDir
        yield* Effect.promise(() => writeFile(join(dir, "in.txt"), "payload"))
        const before = yield* storage.list("")
        for (const key of UNSAFE_KEYS) {
          const attempts: ReadonlyArray<Effect.Effect<unknown, { readonly _tag: string }>> = [
            storage.put(key, "payload", "text/plain"),
            storage.putFile(key, join(dir, "in.txt"), "text/plain"),
            storage.get(key),
            storage.getToFile(key, join(dir, "out.txt")),
            storage.head(key),
            storage.delete(key)
          ]
          for (const attempt of attempts) {
            const error = yield* Effect.flip(attempt)
            assert.deepStrictEqual([error._tag, "key" in error ? error.key : undefined], ["InvalidKey", key])
          }
        }
        for (const prefix of ["../", "/abs", "a//b", "a/../"]) {
          assert.strictEqual((yield* Effect.flip(storage.list(prefix)))._tag, "InvalidKey")
        }
        assert.isFalse(existsSync(join(dir, "out.txt")))
        assert.deepStrictEqual(yield* storage.list(""), before)
      }))
  })
