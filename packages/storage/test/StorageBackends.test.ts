import { resolve } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either } from "effect"
import { localBackendConfig, parseStorageBackends, storageBackendsConfig } from "../src/StorageBackends.js"

const cwd = "/srv/app"
const example = [
  { id: "local-dev", provider: "local", endpoint: "file://", bucket: "data", credentials: { basePath: "./storage" } },
  {
    id: "primary-s3",
    provider: "aws-s3",
    endpoint: "https://s3.amazonaws.com",
    bucket: "pipeweave-prod",
    region: "us-east-1",
    credentials: { accessKeyId: "AKIA", secretAccessKey: "s3cr3t" }
  },
  {
    id: "gcs-backup",
    provider: "gcs",
    endpoint: "https://storage.googleapis.com",
    bucket: "pipeweave-backup",
    credentials: { projectId: "p", clientEmail: "sa@p.iam.gserviceaccount.com", privateKey: "-----BEGIN PRIVATE KEY-----" }
  },
  {
    id: "local-minio",
    provider: "minio",
    endpoint: "http://localhost:9000",
    bucket: "pipeweave-dev",
    credentials: { accessKey: "minioadmin", secretKey: "minioadmin" }
  }
]
const parse = (value: unknown, defaultId?: string) =>
  parseStorageBackends(typeof value === "string" ? value : JSON.stringify(value), defaultId, { cwd })
const messageOf = (value: unknown, defaultId?: string): string =>
  Either.match(parse(value, defaultId), { onLeft: (e) => e.message, onRight: () => "parsed" })
const withEntry = (index: number, patch: (entry: Record<string, any>) => void) =>
  example.map((entry, i) => {
    const copy = structuredClone(entry) as Record<string, any>
    if (i === index) patch(copy)
    return copy
  })

describe("parseStorageBackends", () => {
  it("parses the spec's example, resolving the local basePath against the working directory", () => {
    const parsed = Either.getOrThrow(parse(example))
    assert.deepStrictEqual(parsed.backends.map((b) => b.id), ["local-dev", "primary-s3", "gcs-backup", "local-minio"])
    assert.deepStrictEqual(parsed.backends[0], {
      id: "local-dev",
      provider: "local",
      endpoint: "file://",
      bucket: "data",
      credentials: { basePath: "/srv/app/storage" }
    })
    assert.deepStrictEqual(parsed.backends[1] as unknown, example[1])
    assert.strictEqual(parsed.defaultId, "local-dev")
  })

  it("picks DEFAULT_STORAGE_BACKEND_ID, else isDefault, else the first", () => {
    assert.strictEqual(Either.getOrThrow(parse(example, "gcs-backup")).defaultId, "gcs-backup")
    const marked = withEntry(3, (e) => (e.isDefault = true))
    assert.strictEqual(Either.getOrThrow(parse(marked)).defaultId, "local-minio")
    assert.strictEqual(Either.getOrThrow(parse(marked, "primary-s3")).defaultId, "primary-s3")
    assert.strictEqual(Either.getOrThrow(parse(marked, "  ")).defaultId, "local-minio")
  })

  it("without STORAGE_BACKENDS there is one local backend under .pipeweave/storage", () => {
    for (const json of [undefined, "", "  "]) {
      assert.deepStrictEqual(Either.getOrThrow(parseStorageBackends(json, undefined, { cwd })), {
        backends: [{ id: "local", provider: "local", credentials: { basePath: "/srv/app/.pipeweave/storage" } }],
        defaultId: "local"
      })
    }
    assert.strictEqual(
      Either.getOrThrow(parseStorageBackends(undefined, "local", { cwd })).defaultId,
      "local"
    )
  })

  it("names the variable, the index and the field of what is wrong", () => {
    const cases: ReadonlyArray<[unknown, string]> = [
      ["[{\"id\": \"a\" \"b\"}]", "STORAGE_BACKENDS is not valid JSON (at position 12)"],
      ["[{\"id\": ", "STORAGE_BACKENDS is not valid JSON (it ends early)"],
      ["[1,}", "STORAGE_BACKENDS is not valid JSON"],
      [{ id: "x" }, "STORAGE_BACKENDS must be a JSON array of backend objects"],
      [[], "STORAGE_BACKENDS is an empty array: configure at least one backend"],
      [[example[0], 42], "STORAGE_BACKENDS[1] must be an object"],
      [withEntry(2, (e) => delete e.id), "STORAGE_BACKENDS[2].id is missing"],
      [withEntry(0, (e) => (e.id = "")), "STORAGE_BACKENDS[0].id must be a non-empty string"],
      [withEntry(1, (e) => delete e.provider),
        "STORAGE_BACKENDS[1].provider is missing (one of \"local\", \"aws-s3\", \"gcs\", \"minio\")"],
      [withEntry(1, (e) => (e.provider = "s4")),
        "STORAGE_BACKENDS[1].provider must be one of \"local\", \"aws-s3\", \"gcs\", \"minio\" (got \"s4\")"],
      [withEntry(1, (e) => delete e.credentials.accessKeyId), "STORAGE_BACKENDS[1].credentials.accessKeyId is missing"],
      [withEntry(1, (e) => delete e.credentials), "STORAGE_BACKENDS[1].credentials is missing"],
      [withEntry(2, (e) => delete e.credentials.privateKey), "STORAGE_BACKENDS[2].credentials.privateKey is missing"],
      [withEntry(0, (e) => (e.credentials.basePath = "")), "STORAGE_BACKENDS[0].credentials.basePath: Expected a string at least 1 character(s) long"],
      [withEntry(3, (e) => (e.bucket = 5)), "STORAGE_BACKENDS[3].bucket: Expected string"],
      [withEntry(1, (e) => (e.isDefault = "yes")), "STORAGE_BACKENDS[1].isDefault: Expected boolean"],
      [withEntry(3, (e) => delete e.endpoint),
        "STORAGE_BACKENDS[3].endpoint is missing (a MinIO backend needs one, e.g. \"http://localhost:9000\")"],
      [withEntry(1, (e) => (e.endpoint = "s3.local:9000")),
        "STORAGE_BACKENDS[1].endpoint must be an http(s) URL (got \"s3.local:9000\")"],
      [withEntry(3, (e) => (e.id = "primary-s3")), "STORAGE_BACKENDS[3].id \"primary-s3\" is already used by STORAGE_BACKENDS[1]"],
      [withEntry(3, (e) => (e.isDefault = true)).map((e, i) => i === 0 ? { ...e, isDefault: true } : e),
        "STORAGE_BACKENDS[3].isDefault: only one backend may be the default (STORAGE_BACKENDS[0] is)"]
    ]
    for (const [value, message] of cases) assert.strictEqual(messageOf(value), message)
    assert.strictEqual(
      messageOf(example, "nope"),
      "DEFAULT_STORAGE_BACKEND_ID \"nope\" names no backend in STORAGE_BACKENDS (ids: local-dev, primary-s3, gcs-backup, local-minio)"
    )
    assert.strictEqual(
      Either.match(parseStorageBackends(undefined, "s3", { cwd }), { onLeft: (e) => e.message, onRight: () => "" }),
      "DEFAULT_STORAGE_BACKEND_ID \"s3\" names no backend in STORAGE_BACKENDS (ids: local)"
    )
  })

  it("never echoes credential values in its messages", () => {
    const secret = withEntry(1, (e) => (e.credentials.secretAccessKey = 987654321))
    assert.strictEqual(messageOf(secret), "STORAGE_BACKENDS[1].credentials.secretAccessKey: Expected string")
    assert.notInclude(messageOf("[{\"id\":\"a\",\"secretKey\":\"hunter2\""), "hunter2")
  })

  it("localBackendConfig makes the base path absolute", () => {
    assert.deepStrictEqual(localBackendConfig("rel/dir"), {
      id: "local",
      provider: "local",
      credentials: { basePath: resolve("rel/dir") }
    })
    assert.strictEqual(localBackendConfig("/x", "dev").id, "dev")
  })

  it.effect("storageBackendsConfig reads the two variables and fails as a ConfigError naming the field", () =>
    Effect.gen(function*() {
      const read = (env: Record<string, string>) =>
        Effect.withConfigProvider(storageBackendsConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))
      const parsed = yield* read({ STORAGE_BACKENDS: JSON.stringify(example), DEFAULT_STORAGE_BACKEND_ID: "local-minio" })
      assert.strictEqual(parsed.defaultId, "local-minio")
      assert.strictEqual((yield* read({})).defaultId, "local")
      const error = yield* Effect.flip(read({ STORAGE_BACKENDS: JSON.stringify(withEntry(1, (e) => delete e.bucket)) }))
      assert.include(String(error), "STORAGE_BACKENDS[1].bucket is missing")
    }))
})
