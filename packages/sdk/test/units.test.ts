import { assert, describe, it } from "@effect/vitest"
import type { RegisterResponse } from "@pipeweave/domain/Registration"
import * as DomainErrors from "@pipeweave/domain/TaskErrors"
import { Either, Option } from "effect"
import { createWorker, RateLimited, TaskError, TaskResult, Timeout } from "../src/index.js"
import { StorageFailure } from "../src/internal/AttemptErrors.js"
import { failureOf } from "../src/internal/failureOf.js"
import { startupLines } from "../src/internal/registerWorker.js"
import { resolveConfig } from "../src/internal/WorkerConfig.js"
import type { WorkerDefinition } from "../src/internal/WorkerDefinition.js"
import { secretKey } from "./fixtures.js"

const base = { orchestratorUrl: "http://localhost:3000", serviceId: "svc" }

describe("TaskResult rule", () => {
  it("is a plain object whose own keys are within {output, runNext} and include an array runNext", () => {
    assert.isTrue(TaskResult.is({ output: 1, runNext: ["a"] }))
    assert.isTrue(TaskResult.is({ runNext: [] }))
    assert.isTrue(TaskResult.is(Object.assign(Object.create(null), { output: 1, runNext: [] })))
    assert.isFalse(TaskResult.is({ output: 1 }))
    assert.isFalse(TaskResult.is({ output: 1, runNext: "a" }))
    assert.isFalse(TaskResult.is({ output: 1, runNext: ["a"], extra: true }))
    assert.isFalse(TaskResult.is(new (class { output = 1; runNext = ["a"] })()))
    assert.isFalse(TaskResult.is([["a"]]))
    assert.isFalse(TaskResult.is(null))
    assert.deepStrictEqual(TaskResult.make("x", ["a"]), { output: "x", runNext: ["a"] })
  })
})

describe("worker configuration", () => {
  it("a missing or malformed secretKey is refused with a message saying how to generate one", () => {
    const missing = resolveConfig(base, {})
    assert.isTrue(Either.isLeft(missing))
    const message = Either.isLeft(missing) ? missing.left.message : ""
    assert.include(message, "secretKey")
    assert.include(message, "PIPEWEAVE_SECRET_KEY")
    assert.include(message, "openssl rand -hex 32")
    assert.throws(() => createWorker({ ...base, secretKey: "zz" }), /secretKey must be 64 hex characters.*openssl rand -hex 32/)
    assert.throws(() => createWorker({ ...base, secretKey: undefined }), /secretKey is missing/)
  })

  it("applies the spec's defaults and reads PIPEWEAVE_SECRET_KEY / PIPEWEAVE_BASE_URL from the environment", () => {
    const resolved = resolveConfig(base, { PIPEWEAVE_SECRET_KEY: secretKey, PIPEWEAVE_BASE_URL: "https://w.example/" }, false)
    assert.deepStrictEqual(Either.getOrThrow(resolved), {
      orchestratorUrl: "http://localhost:3000",
      serviceId: "svc",
      version: "0.1.0",
      secretKey,
      tempDir: "/tmp/pipeweave",
      tempCleanupOnFailure: true,
      baseUrl: "https://w.example",
      logger: undefined,
      silent: false,
      takeover: false,
      log: { format: "json", level: "info" },
      shutdownGraceMs: 30_000,
      handleSignals: true,
      tracing: Option.none()
    })
    assert.deepStrictEqual(
      Either.getOrThrow(resolveConfig(base, { PIPEWEAVE_SECRET_KEY: secretKey, LOG_LEVEL: "debug" }, true)).log,
      { format: "pretty", level: "debug" }
    )
    const badLog = resolveConfig(base, { PIPEWEAVE_SECRET_KEY: secretKey, LOG_FORMAT: "xml" }, false)
    assert.isTrue(Either.isLeft(badLog) && badLog.left.message.includes("LOG_FORMAT"))
    assert.isTrue(Either.getOrThrow(resolveConfig(base, { PIPEWEAVE_SECRET_KEY: secretKey, PIPEWEAVE_TAKEOVER: "true" })).takeover)
    assert.isTrue(Either.isLeft(resolveConfig({ ...base, orchestratorUrl: "localhost:3000", secretKey }, {})))
    const traced = resolveConfig(base, { PIPEWEAVE_SECRET_KEY: secretKey, OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })
    assert.strictEqual(Option.getOrThrow(Either.getOrThrow(traced).tracing).url, "http://collector:4318/v1/traces")
    const badOtel = resolveConfig(base, { PIPEWEAVE_SECRET_KEY: secretKey, OTEL_EXPORTER_OTLP_ENDPOINT: "collector" })
    assert.isTrue(Either.isLeft(badOtel) && badOtel.left.message.includes("OTEL_EXPORTER_OTLP_ENDPOINT"))
  })

  it("register and pipeline throw on invalid declarations, naming the problem", () => {
    const worker = createWorker({ ...base, secretKey })
    assert.throws(() => worker.register("t", { timeout: 0 }, async () => 1), /invalid task 't': timeout: timeout must be an integer >= 1/)
    assert.throws(() => worker.register("t", { timeOut: 5 } as never, async () => 1), /timeOut/)
    assert.throws(() => worker.register("bad id!", async () => 1), /task id must be/)
    worker.register("t", async () => 1)
    assert.throws(() => worker.register("t", async () => 2), /registered twice/)
    assert.throws(() => worker.pipeline("p", { entry: [] }), /invalid pipeline 'p'/)
  })
})

describe("failure mapping", () => {
  it("maps Promise errors and the domain's tagged errors the same way", () => {
    const details = { status: 429, at: new Date("2026-01-01T00:00:00Z") }
    assert.deepStrictEqual(failureOf(new TaskError("x", { code: "C", retryable: false, details })), {
      error: "x",
      errorCode: "C",
      retryable: false,
      details: { status: 429, at: "2026-01-01T00:00:00.000Z" }
    })
    assert.deepStrictEqual(
      failureOf(new DomainErrors.TaskError({ message: "x", code: "C", retryable: false })),
      { error: "x", errorCode: "C", retryable: false }
    )
    assert.deepStrictEqual(failureOf(new RateLimited({ retryAfterMs: 10.4, message: "slow down" })), {
      error: "slow down",
      errorCode: "RATE_LIMITED",
      retryable: true,
      retryAfterMs: 10
    })
    assert.deepStrictEqual(failureOf(new DomainErrors.RateLimited({ retryAfterMs: 5 })), {
      error: "rate limited",
      errorCode: "RATE_LIMITED",
      retryable: true,
      retryAfterMs: 5
    })
    assert.deepStrictEqual(failureOf(new Timeout()), { error: "task timed out", errorCode: "TIMEOUT", retryable: true })
    assert.deepStrictEqual(failureOf(new DomainErrors.Timeout({})), {
      error: "task timed out",
      errorCode: "TIMEOUT",
      retryable: true
    })
    assert.deepStrictEqual(failureOf(new StorageFailure({ message: "disk full" })), {
      error: "disk full",
      errorCode: "STORAGE_ERROR",
      retryable: true
    })
    assert.deepStrictEqual(failureOf({ code: 1 }), { error: "{\"code\":1}", retryable: true })
    assert.strictEqual(new TaskError("m").name, "TaskError")
    assert.strictEqual(new RateLimited({ retryAfterMs: 1 }).name, "RateLimited")
    assert.strictEqual(new Timeout().name, "Timeout")
    assert.instanceOf(new TaskError("m"), Error)
  })
})

describe("start-up lines", () => {
  it("list hashes, versions, next tasks, heartbeat timeouts, code changes and orphan cleanups", () => {
    const worker = createWorker({ ...base, version: "1.1.0", secretKey })
      .register("download", { allowedNext: ["process", "archive"], heartbeatIntervalMs: 30_000 }, async () => 1)
      .register("process", async () => 2)
    const definition = (worker as unknown as { readonly definition: WorkerDefinition }).definition
    const [download, processTask] = [...definition.tasks.values()].map((t) => t.registration.codeHash)
    const config = Either.getOrThrow(definition.config)
    const lines = startupLines(definition, config, 8080, {
      serviceId: "svc",
      version: "1.1.0",
      tasks: [
        { taskId: "download", codeHash: download!, codeVersion: 3 },
        { taskId: "process", codeHash: processTask!, codeVersion: 1 }
      ],
      codeChanges: [
        { taskId: "download", oldHash: "aaaaaaaaaaaaaaaa", newHash: download!, oldVersion: 2, newVersion: 3 },
        { taskId: "process", oldHash: null, newHash: processTask!, oldVersion: null, newVersion: 1 }
      ],
      orphansCancelled: [{ taskId: "upload", cancelled: 2 }, { taskId: "other", cancelled: 0 }]
    } as RegisterResponse)
    assert.deepStrictEqual(lines, [
      "[PipeWeave] Worker svc v1.1.0 on port 8080",
      "[PipeWeave] Task code hashes:",
      `  • download [${download}] v3 → [process, archive]`,
      `  • process [${processTask}] v1 → (end)`,
      "[PipeWeave] Heartbeat intervals:",
      "  • download: 30000ms (timeout: 60000ms)",
      "  • process: 60000ms (timeout: 120000ms)",
      `[PipeWeave] Code changed: download v2 → v3 [aaaaaaaaaaaaaaaa → ${download}]`,
      `[PipeWeave] New task: process v1 [${processTask}]`,
      "[PipeWeave] Cancelled 2 pending 'upload' run(s): task removed in v1.1.0"
    ])
  })
})
