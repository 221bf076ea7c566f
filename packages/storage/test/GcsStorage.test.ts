import { generateKeyPairSync } from "node:crypto"
import { writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeGcsStorage } from "../src/GcsStorage.js"
import type { GcsBackend } from "../src/StorageBackendConfig.js"
import { crc32c, fakeGcs } from "./GcsFake.js"
import { scratchDir, storageContract } from "./StorageContract.js"

const bucket = "pipeweave-test"
const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  publicKeyEncoding: { type: "spki", format: "pem" },
  privateKeyEncoding: { type: "pkcs8", format: "pem" }
})
const config = (endpoint: string): typeof GcsBackend.Type => ({
  id: "gcs",
  provider: "gcs",
  bucket,
  endpoint,
  credentials: { projectId: "pipeweave-test", clientEmail: "test@pipeweave-test.iam.gserviceaccount.com", privateKey }
})

storageContract(
  "GcsStorage (@google-cloud/storage against a FAKE GCS JSON API on node:http)",
  Effect.flatMap(fakeGcs(bucket), ({ endpoint }) => makeGcsStorage(config(endpoint)))
)

describe("GcsStorage against the FAKE GCS API", () => {
  it("the fake's CRC32C matches the published check value", () => {
    assert.strictEqual(Buffer.from(crc32c(Buffer.from("123456789")), "base64").readUInt32BE(), 0xe3069283)
  })

  it.scoped("small files go up in one multipart request, large ones through a resumable session", () =>
    Effect.gen(function*() {
      const fake = yield* fakeGcs(bucket)
      const storage = yield* makeGcsStorage(config(`${fake.endpoint}/`))
      const dir = yield* scratchDir
      yield* Effect.promise(async () => {
        await writeFile(join(dir, "small"), "small")
        await writeFile(join(dir, "large"), Buffer.alloc(6 * 1024 * 1024, 7))
      })
      yield* storage.putFile("up/small", join(dir, "small"), "text/plain")
      yield* storage.putFile("up/large", join(dir, "large"), "application/octet-stream")
      const uploads = fake.requests.filter((r) => r.startsWith("POST /upload") || r.startsWith("PUT /upload"))
      assert.strictEqual(uploads.length, 3)
      assert.include(uploads[0], "uploadType=multipart")
      assert.include(uploads[1], "uploadType=resumable")
      assert.include(uploads[2], "PUT /upload")
      assert.strictEqual(fake.objects.get("up/large")?.data.byteLength, 6 * 1024 * 1024)
      assert.strictEqual(fake.objects.get("up/small")?.contentType, "text/plain")
    }))

  it.scoped("lists across several pages", () =>
    Effect.gen(function*() {
      const fake = yield* fakeGcs(bucket, 2)
      const storage = yield* makeGcsStorage(config(fake.endpoint))
      for (const key of ["p/5", "p/1", "p/4", "p/2", "p/3"]) yield* storage.put(key, key, "text/plain")
      assert.deepStrictEqual(yield* storage.list("p/"), ["p/1", "p/2", "p/3", "p/4", "p/5"])
      assert.isAtLeast(fake.requests.filter((r) => r.startsWith("GET /storage/v1/b/pipeweave-test/o?")).length, 3)
    }))

  it.effect("an unparsable endpoint fails with StorageError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(makeGcsStorage(config("not a url")))
      assert.strictEqual(error._tag, "StorageError")
    }))
})
