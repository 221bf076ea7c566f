import { Either, Option } from "effect"
import { describe, expect, it } from "vitest"
import { parseConfig } from "../src/Config.js"

describe("orchestrator configuration", () => {
  it("runs with no environment at all: embedded database, local storage, standalone, spec defaults", () => {
    const config = Either.getOrThrow(parseConfig({}))
    expect(Option.isNone(config.databaseUrl)).toBe(true)
    expect(config.port).toBe(3000)
    expect(config.mode).toBe("standalone")
    expect(config.maxConcurrency).toBe(10)
    expect(config.pollIntervalMs).toBe(1000)
    expect(config.dlqRetentionDays).toBe(30)
    expect(config.idempotencyTtlSeconds).toBe(86_400)
    expect(config.maxRetryDelayMs).toBe(86_400_000)
    expect(config.inlinePayloadBytes).toBe(16_384)
    expect(config.runRetentionDays).toBe(7)
    expect(config.storage.backends.map((b) => b.provider)).toEqual(["local"])
    expect(config.dataDir.endsWith(".pipeweave")).toBe(true)
  })

  it("names every bad variable and what it expects", () => {
    const result = parseConfig({
      MODE: "turbo",
      MAX_CONCURRENCY: "abc",
      POLL_INTERVAL_MS: "-5",
      DATABASE_URL: "mysql://x",
      PIPEWEAVE_SECRET_KEY: "short",
      STORAGE_BACKENDS: "[{\"id\": \"s3\", \"provider\": \"aws-s3\"}]",
      PORT: "70000",
      INLINE_PAYLOAD_BYTES: "2000000",
      RUN_RETENTION_DAYS: "0"
    })
    expect(Either.isLeft(result)).toBe(true)
    const message = Either.isLeft(result) ? result.left.message : ""
    expect(message).toContain(`MODE must be "standalone" or "serverless" (got "turbo")`)
    expect(message).toContain(`MAX_CONCURRENCY must be an integer >= 1 (got "abc")`)
    expect(message).toContain(`POLL_INTERVAL_MS must be an integer >= 10 (got "-5")`)
    expect(message).toContain("DATABASE_URL must be a postgres:// or postgresql:// URL")
    expect(message).toContain("PIPEWEAVE_SECRET_KEY must be 64 hex characters")
    expect(message).toContain("STORAGE_BACKENDS[0].bucket is missing")
    expect(message).toContain("PORT must be at most 65535")
    expect(message).toContain("INLINE_PAYLOAD_BYTES must be at most 1048576")
    expect(message).toContain(`RUN_RETENTION_DAYS must be an integer >= 1 (got "0")`)
  })

  it("requires the shared secret in production", () => {
    const result = parseConfig({ NODE_ENV: "production" })
    expect(Either.isLeft(result) && result.left.message).toContain("PIPEWEAVE_SECRET_KEY is required when NODE_ENV=production")
  })
})
