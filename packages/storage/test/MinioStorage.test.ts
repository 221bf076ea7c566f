import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { makeMinioStorage } from "../src/MinioStorage.js"
import { makeS3Storage } from "../src/S3Storage.js"
import { s3rver } from "./S3rverFixture.js"
import { storageContract } from "./StorageContract.js"

const bucket = "pipeweave-test"
const credentials = { accessKey: "S3RVER", secretKey: "S3RVER" }

storageContract(
  "MinioStorage (minio client against s3rver)",
  Effect.flatMap(s3rver(bucket), ({ endpoint }) =>
    makeMinioStorage({ id: "minio", provider: "minio", bucket, endpoint, credentials }))
)

describe("MinioStorage specifics", () => {
  it.effect("a backend without an endpoint, or with an unparsable one, fails with StorageError", () =>
    Effect.gen(function*() {
      const none = yield* Effect.flip(makeMinioStorage({ id: "minio", provider: "minio", bucket, credentials }))
      assert.strictEqual(none._tag, "StorageError")
      assert.include(none.message, "needs an endpoint")
      const bad = yield* Effect.flip(
        makeMinioStorage({ id: "minio", provider: "minio", bucket, endpoint: "::", credentials })
      )
      assert.strictEqual(bad._tag, "StorageError")
    }))

  it.scoped("reads what the aws-sdk provider wrote to the same server", () =>
    Effect.gen(function*() {
      const { endpoint } = yield* s3rver(bucket)
      const s3 = yield* makeS3Storage({
        id: "s3",
        provider: "aws-s3",
        bucket,
        endpoint,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }
      })
      const minio = yield* makeMinioStorage({ id: "minio", provider: "minio", bucket, endpoint, credentials })
      yield* s3.put("shared/x.json", "{\"from\":\"s3\"}", "application/json")
      assert.strictEqual(new TextDecoder().decode(yield* minio.get("shared/x.json")), "{\"from\":\"s3\"}")
      assert.deepStrictEqual(yield* minio.list("shared/"), ["shared/x.json"])
    }))
})
