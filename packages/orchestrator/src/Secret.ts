import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Option, Redacted } from "effect"
import type { OrchestratorSettings } from "./Config.js"

/** Where the development secret lives when `PIPEWEAVE_SECRET_KEY` is not set. */
export const developmentSecretPath = (dataDir: string): string => join(dataDir, "secret.key")

/**
 * `PIPEWEAVE_SECRET_KEY` when set; otherwise the development secret under the data directory,
 * created (mode 0600) on first use.
 */
export const resolveSecret = (settings: OrchestratorSettings): Effect.Effect<Redacted.Redacted<string>> =>
  Option.match(settings.secretKey, {
    onSome: Effect.succeed,
    onNone: () =>
      Effect.gen(function*() {
        const path = developmentSecretPath(settings.dataDir)
        if (existsSync(path)) return Redacted.make(readFileSync(path, "utf8").trim())
        const secret = randomBytes(32).toString("hex")
        mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 })
        writeFileSync(path, `${secret}\n`, { mode: 0o600 })
        chmodSync(path, 0o600)
        yield* Effect.logWarning(
          `PIPEWEAVE_SECRET_KEY is not set: generated a development secret in ${path}. ` +
            `Give workers the same key (export PIPEWEAVE_SECRET_KEY=$(cat ${path})); ` +
            "in production set PIPEWEAVE_SECRET_KEY on every orchestrator and worker."
        )
        return Redacted.make(secret)
      })
  })
