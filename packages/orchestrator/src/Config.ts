import { join, resolve } from "node:path"
import { type LogSettings, parseLogSettings } from "@pipeweave/domain/LogSettings"
import { type OtlpTracingSettings, parseOtlpTracing } from "@pipeweave/domain/OtlpTracing"
import { localBackendConfig, parseStorageBackends, type StorageBackendsConfig } from "@pipeweave/storage/StorageBackends"
import { Context, Data, Effect, Either, Layer, Option, Redacted } from "effect"
import { DEFAULT_SCHEMA, schemaNameProblem } from "./sql/DatabaseSchema.js"

/** Everything the orchestrator reads from its environment, validated. */
export interface OrchestratorSettings {
  readonly port: number
  /** Where to listen: `HOST`, else 127.0.0.1 when the API has no token, else every interface. */
  readonly host: string | undefined
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  /** The schema holding PipeWeave's tables (`DATABASE_SCHEMA`, default `pipeweave`), on PostgreSQL and PGlite alike. */
  readonly databaseSchema: string
  /**
   * Whether PostgreSQL connections prepare the statements run repeatedly (`DATABASE_PREPARED_STATEMENTS`,
   * default `true`); `false` behind a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
   */
  readonly databasePreparedStatements: boolean
  readonly dataDir: string
  readonly storage: StorageBackendsConfig
  readonly secretKey: Option.Option<Redacted.Redacted<string>>
  readonly apiToken: Option.Option<Redacted.Redacted<string>>
  readonly mode: "standalone" | "serverless"
  readonly maxConcurrency: number
  readonly pollIntervalMs: number
  readonly dlqRetentionDays: number
  readonly idempotencyTtlSeconds: number
  readonly maxRetryDelayMs: number
  /** Inputs and outputs of at most this many bytes of JSON live in the database and travel inline. */
  readonly inlinePayloadBytes: number
  readonly runRetentionDays: number
  /**
   * An instance unreachable (refusing connections, or deregistered) and silent for this long is
   * removed from the registry (`INSTANCE_PRUNE_AFTER_SECONDS`, default 3600).
   */
  readonly instancePruneAfterSeconds: number
  readonly production: boolean
  /** Origins allowed to call the API from a browser (`CORS_ORIGINS`); `["*"]` for any, empty for none. */
  readonly corsOrigins: ReadonlyArray<string>
  /** Largest request body accepted, in bytes (`MAX_BODY_BYTES`); a larger one is answered 413 unread. */
  readonly maxBodyBytes: number
  /** What the orchestrator says about its exposure when it starts (loopback binding, an open API). */
  readonly startupWarnings: ReadonlyArray<string>
  /** `LOG_FORMAT` (pretty on a TTY, json otherwise) and `LOG_LEVEL` (default info). */
  readonly log: LogSettings
  /** OTLP/HTTP span export (`OTEL_EXPORTER_OTLP_ENDPOINT` and friends); `None`: no export, nothing loaded. */
  readonly tracing: Option.Option<OtlpTracingSettings>
}

export class OrchestratorConfig extends Context.Tag("@pipeweave/orchestrator/OrchestratorConfig")<
  OrchestratorConfig,
  OrchestratorSettings
>() {}

/** One or more environment variables hold values the orchestrator cannot use. */
export class ConfigInvalid extends Data.TaggedError("ConfigInvalid")<{ readonly problems: ReadonlyArray<string> }> {
  override get message(): string {
    return `Invalid configuration:\n${this.problems.map((p) => `  - ${p}`).join("\n")}`
  }
}

const MAX_INLINE_BYTES = 1_048_576
const MAX_BODY_BYTES = 4 * 1_048_576
const MAX_BODY_BYTES_CEILING = 1024 * 1_048_576

type Env = Readonly<Record<string, string | undefined>>

const integer = (env: Env, name: string, fallback: number, min: number, problems: Array<string>): number => {
  const raw = env[name]?.trim()
  if (raw === undefined || raw === "") return fallback
  const value = Number(raw)
  if (!Number.isSafeInteger(value) || value < min) {
    problems.push(`${name} must be an integer >= ${min} (got "${raw}")`)
    return fallback
  }
  return value
}

const text = (env: Env, name: string): Option.Option<string> =>
  Option.fromNullable(env[name]?.trim()).pipe(Option.filter((s) => s.length > 0))

const parseOrigins = (raw: Option.Option<string>, problems: Array<string>): ReadonlyArray<string> => {
  if (Option.isNone(raw)) return []
  const origins = raw.value.split(",").map((origin) => origin.trim()).filter((origin) => origin.length > 0)
  if (origins.includes("*")) {
    if (origins.length > 1) problems.push(`CORS_ORIGINS is either "*" alone or a list of origins (got "${raw.value}")`)
    return ["*"]
  }
  const bad = origins.filter((origin) => {
    try {
      const url = new URL(origin)
      return !/^https?:$/.test(url.protocol) || url.origin !== origin
    } catch {
      return true
    }
  })
  if (bad.length > 0) {
    problems.push(
      `CORS_ORIGINS must list origins such as https://monitor.example.com, comma-separated, without path or trailing slash (bad: ${
        bad.map((o) => `"${o}"`).join(", ")
      })`
    )
  }
  return origins
}

/**
 * Reads and validates the orchestrator's variables; every problem is reported, not just the first.
 * `stdoutIsTty` picks the default `LOG_FORMAT` (pretty on a terminal, json otherwise).
 */
export const parseConfig = (env: Env, stdoutIsTty = false): Either.Either<OrchestratorSettings, ConfigInvalid> => {
  const problems: Array<string> = []
  const log = parseLogSettings(env, stdoutIsTty)
  if (Either.isLeft(log)) problems.push(...log.left)
  const tracing = parseOtlpTracing(env)
  if (Either.isLeft(tracing)) problems.push(...tracing.left)
  const mode = text(env, "MODE").pipe(Option.getOrElse(() => "standalone"))
  if (mode !== "standalone" && mode !== "serverless") {
    problems.push(`MODE must be "standalone" or "serverless" (got "${mode}")`)
  }
  const databaseUrl = text(env, "DATABASE_URL")
  if (Option.isSome(databaseUrl) && !/^postgres(ql)?:\/\//.test(databaseUrl.value)) {
    problems.push("DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for the embedded database)")
  }
  const databaseSchema = Option.getOrElse(text(env, "DATABASE_SCHEMA"), () => DEFAULT_SCHEMA)
  const schemaProblem = schemaNameProblem(databaseSchema)
  if (schemaProblem !== undefined) problems.push(`DATABASE_SCHEMA ${schemaProblem}`)
  const prepared = text(env, "DATABASE_PREPARED_STATEMENTS")
  if (Option.isSome(prepared) && prepared.value !== "true" && prepared.value !== "false") {
    problems.push(
      `DATABASE_PREPARED_STATEMENTS must be "true" or "false" (got "${prepared.value}"; "false" behind PgBouncer in transaction mode)`
    )
  }
  const secretKey = text(env, "PIPEWEAVE_SECRET_KEY")
  if (Option.isSome(secretKey) && !/^[0-9a-fA-F]{64}$/.test(secretKey.value)) {
    problems.push("PIPEWEAVE_SECRET_KEY must be 64 hex characters (generate one with `openssl rand -hex 32`)")
  }
  const port = integer(env, "PORT", 3000, 0, problems)
  if (port > 65535) problems.push(`PORT must be at most 65535 (got "${port}")`)
  const dataDir = resolve(Option.getOrElse(text(env, "PIPEWEAVE_DATA_DIR"), () => ".pipeweave"))
  const storage = Option.match(text(env, "STORAGE_BACKENDS"), {
    onNone: () =>
      Option.match(text(env, "DEFAULT_STORAGE_BACKEND_ID"), {
        onNone: () => Either.right({ backends: [localBackendConfig(join(dataDir, "storage"))], defaultId: "local" }),
        onSome: (id) =>
          id === "local"
            ? Either.right({ backends: [localBackendConfig(join(dataDir, "storage"))], defaultId: "local" })
            : Either.left({ message: `DEFAULT_STORAGE_BACKEND_ID "${id}" is set but STORAGE_BACKENDS is not` })
      }),
    onSome: (json) => parseStorageBackends(json, Option.getOrUndefined(text(env, "DEFAULT_STORAGE_BACKEND_ID")))
  })
  if (Either.isLeft(storage)) problems.push(storage.left.message)
  const inline = integer(env, "INLINE_PAYLOAD_BYTES", 16_384, 0, problems)
  if (inline > MAX_INLINE_BYTES) {
    problems.push(`INLINE_PAYLOAD_BYTES must be at most ${MAX_INLINE_BYTES} (larger payloads belong in storage; got "${inline}")`)
  }
  const production = env["NODE_ENV"] === "production"
  if (production && Option.isNone(secretKey)) {
    problems.push("PIPEWEAVE_SECRET_KEY is required when NODE_ENV=production (every orchestrator and worker shares it)")
  }
  const apiToken = text(env, "PIPEWEAVE_API_TOKEN")
  const allowOpenApi = text(env, "PIPEWEAVE_ALLOW_OPEN_API")
  if (Option.isSome(allowOpenApi) && allowOpenApi.value !== "true" && allowOpenApi.value !== "false") {
    problems.push(`PIPEWEAVE_ALLOW_OPEN_API must be "true" or "false" (got "${allowOpenApi.value}")`)
  }
  const openApiAllowed = Option.contains(allowOpenApi, "true")
  const startupWarnings: Array<string> = []
  if (production && Option.isNone(apiToken)) {
    if (openApiAllowed) {
      startupWarnings.push(
        "NODE_ENV=production without PIPEWEAVE_API_TOKEN: the management API is open to anyone who can reach it (PIPEWEAVE_ALLOW_OPEN_API=true)"
      )
    } else {
      problems.push(
        "PIPEWEAVE_API_TOKEN is required when NODE_ENV=production (or set PIPEWEAVE_ALLOW_OPEN_API=true to run the management API open)"
      )
    }
  }
  const explicitHost = text(env, "HOST")
  const host = Option.isSome(explicitHost)
    ? explicitHost.value
    : Option.isNone(apiToken)
    ? "127.0.0.1"
    : undefined
  if (Option.isNone(apiToken)) {
    startupWarnings.push(
      Option.isSome(explicitHost)
        ? `no PIPEWEAVE_API_TOKEN: the management API is open and listening on HOST=${explicitHost.value}`
        : "no PIPEWEAVE_API_TOKEN: listening on 127.0.0.1 only (set PIPEWEAVE_API_TOKEN, or HOST to choose the interface)"
    )
  }
  const corsOrigins = parseOrigins(text(env, "CORS_ORIGINS"), problems)
  const maxBodyBytes = integer(env, "MAX_BODY_BYTES", MAX_BODY_BYTES, 1024, problems)
  if (maxBodyBytes > MAX_BODY_BYTES_CEILING) {
    problems.push(`MAX_BODY_BYTES must be at most ${MAX_BODY_BYTES_CEILING} (larger inputs belong in storage; got "${maxBodyBytes}")`)
  }
  const config: OrchestratorSettings = {
    port,
    host,
    databaseUrl: Option.map(databaseUrl, Redacted.make),
    databaseSchema,
    databasePreparedStatements: !Option.contains(prepared, "false"),
    dataDir,
    storage: Either.getOrElse(storage, () => ({ backends: [], defaultId: "" })),
    secretKey: Option.map(secretKey, Redacted.make),
    apiToken: Option.map(apiToken, Redacted.make),
    mode: mode === "serverless" ? "serverless" : "standalone",
    maxConcurrency: integer(env, "MAX_CONCURRENCY", 10, 1, problems),
    pollIntervalMs: integer(env, "POLL_INTERVAL_MS", 1000, 10, problems),
    dlqRetentionDays: integer(env, "DLQ_RETENTION_DAYS", 30, 1, problems),
    idempotencyTtlSeconds: integer(env, "IDEMPOTENCY_TTL_SECONDS", 86_400, 0, problems),
    maxRetryDelayMs: integer(env, "MAX_RETRY_DELAY_MS", 86_400_000, 0, problems),
    inlinePayloadBytes: inline,
    runRetentionDays: integer(env, "RUN_RETENTION_DAYS", 7, 1, problems),
    instancePruneAfterSeconds: integer(env, "INSTANCE_PRUNE_AFTER_SECONDS", 3600, 60, problems),
    production,
    corsOrigins,
    maxBodyBytes,
    startupWarnings,
    log: Either.getOrElse(log, () => ({ format: "json" as const, level: "info" as const })),
    tracing: Either.getOrElse(tracing, () => Option.none())
  }
  return problems.length > 0 ? Either.left(new ConfigInvalid({ problems })) : Either.right(config)
}

/** Defaults for tests and embedding: no environment at all, data under `dataDir`. */
export const defaultConfig = (overrides: Partial<OrchestratorSettings> = {}): OrchestratorSettings => {
  const base = Either.getOrThrow(parseConfig({}))
  const dataDir = overrides.dataDir ?? base.dataDir
  return {
    ...base,
    storage: { backends: [localBackendConfig(join(dataDir, "storage"))], defaultId: "local" },
    ...overrides
  }
}

export const layerFromEnv: Layer.Layer<OrchestratorConfig, ConfigInvalid> = Layer.effect(
  OrchestratorConfig,
  Effect.suspend(() => parseConfig(process.env))
)

export const layer = (config: OrchestratorSettings): Layer.Layer<OrchestratorConfig> =>
  Layer.succeed(OrchestratorConfig, config)
