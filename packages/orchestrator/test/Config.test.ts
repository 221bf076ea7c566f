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

  it("prepares repeated statements unless DATABASE_PREPARED_STATEMENTS=false, and names a bad value", () => {
    expect(Either.getOrThrow(parseConfig({})).databasePreparedStatements).toBe(true)
    expect(Either.getOrThrow(parseConfig({ DATABASE_PREPARED_STATEMENTS: "false" })).databasePreparedStatements).toBe(false)
    const typo = parseConfig({ DATABASE_PREPARED_STATEMENTS: "no" })
    expect(Either.isLeft(typo) && typo.left.message).toContain(`DATABASE_PREPARED_STATEMENTS must be "true" or "false"`)
  })

  it("exports traces only when OTEL_EXPORTER_OTLP_ENDPOINT is set, and refuses an unusable OTLP setting", () => {
    expect(Option.isNone(Either.getOrThrow(parseConfig({})).tracing)).toBe(true)
    const traced = Either.getOrThrow(parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).tracing
    expect(Option.getOrThrow(traced).url).toBe("http://collector:4318/v1/traces")
    const bad = parseConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/)
    expect(Either.isLeft(bad) && bad.left.message).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL/)
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

  it("is safe by default: loopback without an API token, every interface with one, HOST wins; CORS off; 4 MiB bodies", () => {
    const open = Either.getOrThrow(parseConfig({}))
    expect(open.host).toBe("127.0.0.1")
    expect(open.startupWarnings.join("\n")).toContain("no PIPEWEAVE_API_TOKEN: listening on 127.0.0.1 only")
    expect(open.corsOrigins).toEqual([])
    expect(open.maxBodyBytes).toBe(4 * 1_048_576)
    const token = Either.getOrThrow(parseConfig({ PIPEWEAVE_API_TOKEN: "t0ken" }))
    expect(token.host).toBeUndefined()
    expect(token.startupWarnings).toEqual([])
    const host = Either.getOrThrow(parseConfig({ HOST: "0.0.0.0" }))
    expect(host.host).toBe("0.0.0.0")
    expect(host.startupWarnings.join("\n")).toContain("open and listening on HOST=0.0.0.0")
  })

  it("reads CORS_ORIGINS and MAX_BODY_BYTES, naming what is wrong with them", () => {
    const listed = Either.getOrThrow(parseConfig({ CORS_ORIGINS: " https://monitor.example.com, http://localhost:4321 " }))
    expect(listed.corsOrigins).toEqual(["https://monitor.example.com", "http://localhost:4321"])
    expect(Either.getOrThrow(parseConfig({ CORS_ORIGINS: "*" })).corsOrigins).toEqual(["*"])
    expect(Either.getOrThrow(parseConfig({ MAX_BODY_BYTES: "65536" })).maxBodyBytes).toBe(65536)
    const result = parseConfig({ CORS_ORIGINS: "https://ok.example,monitor.example.com/,*", MAX_BODY_BYTES: "10" })
    const message = Either.isLeft(result) ? result.left.message : ""
    expect(message).toContain(`CORS_ORIGINS is either "*" alone or a list of origins`)
    expect(message).toContain("MAX_BODY_BYTES must be an integer >= 1024")
    const bad = parseConfig({ CORS_ORIGINS: "monitor.example.com,https://x.example/path", MAX_BODY_BYTES: "99999999999" })
    const badMessage = Either.isLeft(bad) ? bad.left.message : ""
    expect(badMessage).toContain(`(bad: "monitor.example.com", "https://x.example/path")`)
    expect(badMessage).toContain("MAX_BODY_BYTES must be at most")
  })

  it("refuses production without PIPEWEAVE_API_TOKEN unless PIPEWEAVE_ALLOW_OPEN_API=true, which warns", () => {
    const secret = "ab".repeat(32)
    const refused = parseConfig({ NODE_ENV: "production", PIPEWEAVE_SECRET_KEY: secret })
    expect(Either.isLeft(refused) && refused.left.problems).toEqual([
      "PIPEWEAVE_API_TOKEN is required when NODE_ENV=production (or set PIPEWEAVE_ALLOW_OPEN_API=true to run the management API open)"
    ])
    const both = parseConfig({ NODE_ENV: "production" })
    expect(Either.isLeft(both) && both.left.problems.length).toBe(2)
    const allowed = Either.getOrThrow(
      parseConfig({ NODE_ENV: "production", PIPEWEAVE_SECRET_KEY: secret, PIPEWEAVE_ALLOW_OPEN_API: "true" })
    )
    expect(allowed.startupWarnings.join("\n")).toContain("NODE_ENV=production without PIPEWEAVE_API_TOKEN")
    expect(Either.isRight(parseConfig({ NODE_ENV: "production", PIPEWEAVE_SECRET_KEY: secret, PIPEWEAVE_API_TOKEN: "t" })))
      .toBe(true)
    const typo = parseConfig({ PIPEWEAVE_ALLOW_OPEN_API: "yes" })
    expect(Either.isLeft(typo) && typo.left.message).toContain(`PIPEWEAVE_ALLOW_OPEN_API must be "true" or "false"`)
  })

  it("reads DATABASE_SCHEMA (default pipeweave) and refuses what is not a plain lower-case identifier", () => {
    expect(Either.getOrThrow(parseConfig({})).databaseSchema).toBe("pipeweave")
    expect(Either.getOrThrow(parseConfig({ DATABASE_SCHEMA: "jobs_2" })).databaseSchema).toBe("jobs_2")
    const problems = (value: string) => {
      const parsed = parseConfig({ DATABASE_SCHEMA: value })
      return Either.isLeft(parsed) ? parsed.left.problems : []
    }
    expect(problems("Jobs")).toEqual([`DATABASE_SCHEMA must be a lower-case identifier (letters, digits and _, not starting with a digit; got "Jobs")`])
    expect(problems("x; DROP SCHEMA public")).toHaveLength(1)
    expect(problems("1jobs")).toHaveLength(1)
    expect(problems("pg_jobs")).toEqual([`DATABASE_SCHEMA must not be a system schema (got "pg_jobs")`])
    expect(problems("a".repeat(64))).toEqual(["DATABASE_SCHEMA must be at most 63 characters (got 64)"])
  })

  it("reads LOG_FORMAT (json off a TTY, pretty on one) and LOG_LEVEL (default info), refusing unknown values", () => {
    expect(Either.getOrThrow(parseConfig({})).log).toEqual({ format: "json", level: "info" })
    expect(Either.getOrThrow(parseConfig({}, true)).log).toEqual({ format: "pretty", level: "info" })
    expect(Either.getOrThrow(parseConfig({ LOG_FORMAT: "json", LOG_LEVEL: "debug" }, true)).log).toEqual({
      format: "json",
      level: "debug"
    })
    const bad = parseConfig({ LOG_FORMAT: "text", LOG_LEVEL: "trace", PORT: "x" })
    expect(Either.isLeft(bad) && bad.left.problems).toEqual([
      `LOG_FORMAT must be "pretty", "json" or "logfmt" (got "text")`,
      `LOG_LEVEL must be "debug", "info", "warn" or "error" (got "trace")`,
      `PORT must be an integer >= 0 (got "x")`
    ])
  })
})
