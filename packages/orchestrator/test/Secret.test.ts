import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { defaultConfig } from "../src/Config.js"
import { developmentSecretPath, resolveSecret } from "../src/Secret.js"

describe("the development secret", () => {
  it.effect("is created once, owner-only, in an owner-only data directory, and read back afterwards", () =>
    Effect.gen(function*() {
      const dataDir = join(mkdtempSync(join(tmpdir(), "pipeweave-secret-")), "data")
      const settings = defaultConfig({ dataDir })
      const secrets = [yield* resolveSecret(settings), yield* resolveSecret(settings)]
      const path = developmentSecretPath(dataDir)
      assert.match(Redacted.value(secrets[0]!), /^[0-9a-f]{64}$/)
      assert.deepStrictEqual(new Set(secrets.map(Redacted.value)), new Set([readFileSync(path, "utf8").trim()]))
      assert.deepStrictEqual([statSync(dataDir).mode & 0o777, statSync(path).mode & 0o777], [0o700, 0o600])
      assert.deepStrictEqual(readdirSync(dataDir), ["secret.key"])
    }))
})
