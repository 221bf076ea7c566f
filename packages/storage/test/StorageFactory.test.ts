import { generateKeyPairSync } from "node:crypto"
import { existsSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Layer, Option } from "effect"
import { Storage } from "../src/Storage.js"
import { parseStorageBackends, StorageBackends } from "../src/StorageBackends.js"
import { loadProvider, makeStorage } from "../src/StorageFactory.js"
import { fakeGcs } from "./GcsFake.js"
import { s3rver } from "./S3rverFixture.js"
import { scratchDir } from "./StorageContract.js"

describe("StorageBackends.layer and makeStorage", () => {
  it.scoped("builds every provider, keyed by id, with the default also served as Storage", () =>
    Effect.gen(function*() {
      const dir = yield* scratchDir
      const s3 = yield* s3rver("bucket")
      const gcs = yield* fakeGcs("bucket")
      const { privateKey } = generateKeyPairSync("rsa", {
        modulusLength: 2048,
        publicKeyEncoding: { type: "spki", format: "pem" },
        privateKeyEncoding: { type: "pkcs8", format: "pem" }
      })
      const json = JSON.stringify([
        { id: "disk", provider: "local", credentials: { basePath: join(dir, "disk") } },
        {
          id: "s3",
          provider: "aws-s3",
          bucket: "bucket",
          endpoint: s3.endpoint,
          isDefault: true,
          credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }
        },
        { id: "minio", provider: "minio", bucket: "bucket", endpoint: s3.endpoint, credentials: { accessKey: "S3RVER", secretKey: "S3RVER" } },
        {
          id: "gcs",
          provider: "gcs",
          bucket: "bucket",
          endpoint: gcs.endpoint,
          credentials: { projectId: "p", clientEmail: "sa@p.iam.gserviceaccount.com", privateKey }
        }
      ])
      const config = Either.getOrThrow(parseStorageBackends(json, undefined))
      const layer = StorageBackends.layerDefaultStorage.pipe(Layer.provideMerge(StorageBackends.layer(config)))
      const { backends, storage } = yield* Effect.all({ backends: StorageBackends, storage: Storage }).pipe(
        Effect.provide(layer)
      )
      assert.strictEqual(backends.default.backendId, "s3")
      assert.strictEqual(storage.backendId, "s3")
      assert.deepStrictEqual(backends.all.map((b) => [b.backendId, b.config.provider]), [
        ["disk", "local"],
        ["s3", "aws-s3"],
        ["minio", "minio"],
        ["gcs", "gcs"]
      ])
      for (const backend of backends.all) {
        yield* backend.put(`via/${backend.backendId}.txt`, backend.backendId, "text/plain")
        assert.strictEqual(new TextDecoder().decode(yield* backend.get(`via/${backend.backendId}.txt`)), backend.backendId)
      }
      assert.deepStrictEqual(yield* Option.getOrThrow(backends.get("disk")).list("via/"), ["via/disk.txt"])
      assert.deepStrictEqual(yield* Option.getOrThrow(backends.get("gcs")).list("via/"), ["via/gcs.txt"])
      assert.deepStrictEqual(yield* storage.list("via/"), ["via/minio.txt", "via/s3.txt"])
      assert.isTrue(Option.isNone(backends.get("nope")))

      const fromToken = yield* makeStorage(Option.getOrThrow(backends.get("disk")).config)
      assert.deepStrictEqual(yield* fromToken.list("via/"), ["via/disk.txt"])
    }))
})

describe("StorageBackends.layerConfig", () => {
  it.scoped("builds the backends named by STORAGE_BACKENDS and DEFAULT_STORAGE_BACKEND_ID", () =>
    Effect.gen(function*() {
      const dir = yield* scratchDir
      const env = new Map([
        ["STORAGE_BACKENDS", JSON.stringify([
          { id: "a", provider: "local", credentials: { basePath: join(dir, "a") } },
          { id: "b", provider: "local", credentials: { basePath: join(dir, "b") } }
        ])],
        ["DEFAULT_STORAGE_BACKEND_ID", "b"]
      ])
      const backends = yield* StorageBackends.pipe(
        Effect.provide(StorageBackends.layerConfig),
        Effect.withConfigProvider(ConfigProvider.fromMap(env))
      )
      assert.deepStrictEqual(backends.all.map((b) => b.backendId), ["a", "b"])
      assert.strictEqual(backends.default.backendId, "b")
      yield* backends.default.put("k", "v", "text/plain")
      assert.isTrue(existsSync(join(dir, "b", "k")))
    }))
})

// A missing client library (the error naming the package) is checked for real in a packed install:
// packages/cli/test/e2e/PackedInstall.test.ts.
describe("loadProvider", () => {
  it.effect("keeps other load failures as they are", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(loadProvider("g", "gcs", () => Promise.reject(new Error("boom"))))
      assert.strictEqual(error.message, "storage open 'g' failed: boom")
    }))
})
