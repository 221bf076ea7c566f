import { randomBytes } from "node:crypto"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeS3Storage } from "../src/S3Storage.js"
import { s3rver, s3rverObjectPath } from "./S3rverFixture.js"
import { assertSameBytes, scratchDir, storageContract } from "./StorageContract.js"

const bucket = "pipeweave-test"
const credentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }

storageContract(
  "S3Storage (aws-sdk against s3rver)",
  Effect.flatMap(s3rver(bucket), ({ endpoint }) =>
    makeS3Storage({ id: "s3", provider: "aws-s3", bucket, endpoint, credentials }))
)

describe("S3Storage specifics", () => {
  it.scoped("a streamed upload is stored as sent, without aws-chunked framing", () =>
    Effect.gen(function*() {
      const { directory, endpoint } = yield* s3rver(bucket)
      const storage = yield* makeS3Storage({ id: "s3", provider: "aws-s3", bucket, endpoint, credentials })
      const dir = yield* scratchDir
      const source = randomBytes(256 * 1024)
      yield* Effect.promise(() => writeFile(join(dir, "asset.bin"), source))
      yield* storage.putFile("runs/prun_1/assets/trun_1/asset", join(dir, "asset.bin"), "application/octet-stream")
      const stored = yield* Effect.promise(() =>
        readFile(s3rverObjectPath(directory, bucket, "runs/prun_1/assets/trun_1/asset"))
      )
      assertSameBytes(stored, source)
    }))

  it.scoped("an unknown bucket is a StorageError, not ObjectNotFound", () =>
    Effect.gen(function*() {
      const { endpoint } = yield* s3rver(bucket)
      const storage = yield* makeS3Storage({ id: "s3", provider: "aws-s3", bucket: "no-such-bucket", endpoint, credentials })
      const error = yield* Effect.flip(storage.get("k"))
      assert.strictEqual(error._tag, "StorageError")
      const put = yield* Effect.flip(storage.put("k", "v", "text/plain"))
      assert.strictEqual(put._tag, "StorageError")
    }))

  it.scoped("an unparsable endpoint fails with StorageError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        makeS3Storage({ id: "s3", provider: "aws-s3", bucket, endpoint: "not a url", credentials })
      )
      assert.strictEqual(error._tag, "StorageError")
    }))
})
