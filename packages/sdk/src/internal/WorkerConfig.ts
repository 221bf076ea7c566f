import { isHttpUrl } from "@pipeweave/domain/HttpUrl"
import { type LogSettings, parseLogSettings } from "@pipeweave/domain/LogSettings"
import { type OtlpTracingSettings, parseOtlpTracing } from "@pipeweave/domain/OtlpTracing"
import { Data, Either, type Option } from "effect"
import type { WorkerLogger } from "./WorkerLog.js"

/** Options of `createWorker` / `Worker.make` (spec "createWorker(config)"). */
export interface WorkerConfig {
  /** Orchestrator endpoint, e.g. `http://localhost:3000`. */
  readonly orchestratorUrl: string
  /** Unique service identifier. */
  readonly serviceId: string
  /** Service version; default `"0.1.0"`. */
  readonly version?: string | undefined
  /** Shared 64-hex-character key (`PIPEWEAVE_SECRET_KEY`, read from the environment when omitted). */
  readonly secretKey?: string | undefined
  /** Base directory of the per-run temp directories; default `/tmp/pipeweave`. */
  readonly tempDir?: string | undefined
  /** Delete a run's temp directory when the attempt fails; default `true`. */
  readonly tempCleanupOnFailure?: boolean | undefined
  /** URL the orchestrator dispatches to; default `PIPEWEAVE_BASE_URL`, else `http://127.0.0.1:{port}`. */
  readonly baseUrl?: string | undefined
  /** Where start-up lines and worker diagnostics go; default `console`. */
  readonly logger?: WorkerLogger | undefined
  /** Print nothing at all (otherwise lines follow `LOG_FORMAT` and `LOG_LEVEL`, as the orchestrator's). */
  readonly silent?: boolean | undefined
  /**
   * Claim task and pipeline ids another service registered first, when that service has no live
   * instance (the orchestrator checks); default `false`, or `PIPEWEAVE_TAKEOVER=true`.
   */
  readonly takeover?: boolean | undefined
  /**
   * How long stopping the worker (`stop()`, SIGTERM/SIGINT, releasing `Worker.layer`) waits for
   * running tasks to finish and deliver their callbacks before interrupting them; default
   * `PIPEWEAVE_SHUTDOWN_GRACE_MS`, else 30000.
   */
  readonly shutdownGraceMs?: number | undefined
  /** Whether `listen()` installs SIGTERM/SIGINT handlers that drain and exit; default `true`. */
  readonly handleSignals?: boolean | undefined
}

/** A `WorkerConfig` with its defaults applied and its secret checked. */
export interface ResolvedConfig {
  readonly orchestratorUrl: string
  readonly serviceId: string
  readonly version: string
  readonly secretKey: string
  readonly tempDir: string
  readonly tempCleanupOnFailure: boolean
  readonly baseUrl: string | undefined
  readonly logger: WorkerLogger | undefined
  readonly silent: boolean
  readonly takeover: boolean
  /** `LOG_FORMAT` / `LOG_LEVEL` of the default output (json when stdout is not a TTY). */
  readonly log: LogSettings
  readonly shutdownGraceMs: number
  readonly handleSignals: boolean
  /**
   * OTLP/HTTP span export of `createWorker` workers (`OTEL_EXPORTER_OTLP_ENDPOINT` and friends);
   * `Worker.layer` uses the tracer its application provides instead.
   */
  readonly tracing: Option.Option<OtlpTracingSettings>
}

/** The worker configuration is unusable; `message` says what to fix. */
export class InvalidWorkerConfig extends Data.TaggedError("InvalidWorkerConfig")<{ readonly message: string }> {}

const secretHelp = "set `secretKey` (or PIPEWEAVE_SECRET_KEY) to the orchestrator's 64-hex-character key; " +
  "generate one with `openssl rand -hex 32`"

/** Applies the defaults of the spec's table and validates what cannot work. */
export const resolveConfig = (
  config: WorkerConfig,
  env: Record<string, string | undefined> = process.env,
  stdoutIsTty: boolean = process.stdout?.isTTY === true
): Either.Either<ResolvedConfig, InvalidWorkerConfig> => {
  const fail = (message: string) => Either.left(new InvalidWorkerConfig({ message }))
  const secretKey = (config.secretKey ?? env["PIPEWEAVE_SECRET_KEY"])?.trim()
  if (secretKey === undefined || secretKey === "") return fail(`secretKey is missing: ${secretHelp}`)
  if (!/^[0-9a-fA-F]{64}$/.test(secretKey)) return fail(`secretKey must be 64 hex characters: ${secretHelp}`)
  if (typeof config.orchestratorUrl !== "string" || !isHttpUrl(config.orchestratorUrl)) {
    return fail(`orchestratorUrl must be an http(s) URL, got ${JSON.stringify(config.orchestratorUrl)}`)
  }
  if (typeof config.serviceId !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(config.serviceId)) {
    return fail(
      `serviceId must be 1-128 letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(config.serviceId)}`
    )
  }
  const baseUrl = config.baseUrl ?? env["PIPEWEAVE_BASE_URL"]
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) return fail(`baseUrl must be an http(s) URL, got "${baseUrl}"`)
  const log = parseLogSettings(env, stdoutIsTty)
  if (Either.isLeft(log)) return fail(log.left.join("; "))
  const tracing = parseOtlpTracing(env)
  if (Either.isLeft(tracing)) return fail(tracing.left.join("; "))
  const graceText = env["PIPEWEAVE_SHUTDOWN_GRACE_MS"]?.trim()
  const shutdownGraceMs = config.shutdownGraceMs ?? (graceText === undefined || graceText === "" ? 30_000 : Number(graceText))
  if (!Number.isInteger(shutdownGraceMs) || shutdownGraceMs < 0) {
    return fail(`shutdownGraceMs (or PIPEWEAVE_SHUTDOWN_GRACE_MS) must be a whole number of milliseconds >= 0, got ${JSON.stringify(config.shutdownGraceMs ?? graceText)}`)
  }
  return Either.right({
    orchestratorUrl: config.orchestratorUrl.replace(/\/+$/, ""),
    serviceId: config.serviceId,
    version: config.version ?? "0.1.0",
    secretKey,
    tempDir: config.tempDir ?? "/tmp/pipeweave",
    tempCleanupOnFailure: config.tempCleanupOnFailure ?? true,
    baseUrl: baseUrl?.replace(/\/+$/, ""),
    logger: config.logger,
    silent: config.silent ?? false,
    takeover: config.takeover ?? env["PIPEWEAVE_TAKEOVER"]?.trim().toLowerCase() === "true",
    log: log.right,
    shutdownGraceMs,
    handleSignals: config.handleSignals ?? true,
    tracing: tracing.right
  })
}
