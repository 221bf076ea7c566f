import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Option, Redacted } from "effect"
import type { OrchestratorSettings } from "./Config.js"

/** Where the development secret lives when `PIPEWEAVE_SECRET_KEY` is not set. */
export const developmentSecretPath = (dataDir: string): string => join(dataDir, "secret.key")

/**
 * Writes `text` to `path` (mode 0600) unless the file exists: written aside and hard-linked into
 * place, so two processes starting together agree on one secret and neither reads a half-written
 * file. Returns false when another process created it first.
 */
const createOnce = (path: string, text: string): boolean => {
  const aside = `${path}.${process.pid}.tmp`
  writeFileSync(aside, text, { mode: 0o600 })
  chmodSync(aside, 0o600)
  try {
    linkSync(aside, path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false
    throw error
  } finally {
    unlinkSync(aside)
  }
}

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
        if (!createOnce(path, `${secret}\n`)) return Redacted.make(readFileSync(path, "utf8").trim())
        yield* Effect.logWarning(
          `PIPEWEAVE_SECRET_KEY is not set: generated a development secret in ${path}. ` +
            `Give workers the same key (export PIPEWEAVE_SECRET_KEY=$(cat ${path})); ` +
            "in production set PIPEWEAVE_SECRET_KEY on every orchestrator and worker."
        )
        return Redacted.make(secret)
      })
  })
