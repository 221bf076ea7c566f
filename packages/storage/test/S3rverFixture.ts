import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import S3rver from "s3rver"

/** An in-process s3rver on 127.0.0.1 (random port) with one bucket; credentials S3RVER/S3RVER. */
export const s3rver = (bucket: string) =>
  Effect.gen(function*() {
    const directory = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "pipeweave-s3rver-"))),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    const server = new S3rver({
      address: "127.0.0.1",
      port: 0,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket, configs: [] }]
    })
    const { port } = yield* Effect.acquireRelease(
      Effect.promise(() => server.run()),
      () => Effect.promise(() => server.close())
    )
    return { endpoint: `http://127.0.0.1:${port}`, port, directory }
  })

/** Where s3rver keeps an object's bytes on disk. */
export const s3rverObjectPath = (directory: string, bucket: string, key: string): string => {
  const parts = key.split("/")
  const name = parts.pop()!
  return join(directory, bucket, ...parts, `${name}._S3rver_object`)
}
