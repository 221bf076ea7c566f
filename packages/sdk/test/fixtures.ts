import type { DispatchPayload, UpstreamRef } from "@pipeweave/domain/Dispatch"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import type { AssetRef, PreviousAttempt } from "@pipeweave/domain/TaskRun"
import { type CryptoShape, makeCrypto } from "@pipeweave/storage/Crypto"
import { makeLocalStorage } from "@pipeweave/storage/LocalStorage"
import type { StorageShape } from "@pipeweave/storage/Storage"
import { Clock, Effect, Redacted, type Scope } from "effect"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createWorker, type Worker, type WorkerConfig, type WorkerLogger } from "../src/index.js"
import { type FakeOrchestrator, type FakeState, makeFakeOrchestrator } from "./FakeOrchestrator.js"

export const secretKey = "8f3a1c2b4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"
export const otherSecretKey = "0".repeat(63) + "1"

export const crypto: CryptoShape = Effect.runSync(makeCrypto(Redacted.make(secretKey)))
export const otherCrypto: CryptoShape = Effect.runSync(makeCrypto(Redacted.make(otherSecretKey)))

/** A fresh directory removed with the scope. */
export const tempDirectory = (prefix: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => mkdtemp(join(tmpdir(), `pipeweave-sdk-${prefix}-`))),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

/** A logger that keeps every line. */
export const collectingLogger = (): WorkerLogger & { readonly lines: Array<string> } => {
  const lines: Array<string> = []
  const push = (message: string) => void lines.push(message)
  return { lines, info: push, warn: push, error: push, debug: push }
}

export interface Harness {
  readonly worker: Worker
  readonly fake: FakeOrchestrator
  readonly workerUrl: string
  readonly storage: StorageShape
  readonly storageBase: string
  readonly tempDir: string
  readonly logger: ReturnType<typeof collectingLogger>
}

/** A fake orchestrator, local storage and a listening Promise worker, all released with the scope. */
export const startHarness = (
  setup: (worker: Worker) => void,
  config: Partial<WorkerConfig> = {},
  state?: FakeState
): Effect.Effect<Harness, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* makeFakeOrchestrator(crypto, state === undefined ? {} : { state })
    const storageBase = yield* tempDirectory("storage")
    const tempDir = yield* tempDirectory("tmp")
    const storage = yield* makeLocalStorage({ id: "local", basePath: storageBase })
    const logger = collectingLogger()
    const worker = createWorker({
      orchestratorUrl: fake.url,
      serviceId: "test-service",
      version: "1.0.0",
      secretKey,
      tempDir,
      logger,
      handleSignals: false,
      ...config
    })
    setup(worker)
    yield* Effect.acquireRelease(Effect.promise(() => worker.listen(0, "127.0.0.1")), () =>
      Effect.promise(() => worker.stop()))
    const workerUrl = fake.state.registrations.at(-1)!.body.baseUrl
    return { worker, fake, workerUrl, storage, storageBase, tempDir, logger }
  })

let counter = 0

/** Options of a dispatch built by `makeDispatch`. */
export interface DispatchSpec {
  readonly taskId: string
  readonly input: unknown
  readonly upstream?: Record<string, { readonly output: unknown; readonly assets?: Record<string, { readonly body: string | Uint8Array; readonly type: "json" | "text" | "binary" }> }>
  readonly allowedNext?: ReadonlyArray<string>
  readonly attempt?: number
  readonly previousAttempts?: ReadonlyArray<PreviousAttempt>
  readonly heartbeatIntervalMs?: number
  readonly timeoutSeconds?: number
  readonly runId?: string
  readonly codeVersion?: number
  /** Send the input and the upstream outputs in the dispatch instead of seeding them in storage. */
  readonly inline?: boolean
  readonly inlineLimitBytes?: number
}

/**
 * Seeds the input (and upstream outputs/assets) in storage, or puts them in the dispatch when
 * `inline`, and returns the encoded dispatch body.
 */
export const makeDispatch = (
  h: Pick<Harness, "storage" | "storageBase">,
  spec: DispatchSpec,
  sealer: CryptoShape = crypto
) =>
  Effect.gen(function*() {
    const runId = spec.runId ?? `trun_test${String(++counter).padStart(4, "0")}${Math.random().toString(36).slice(2, 8)}`
    const pipelineRunId = `prun_test${String(counter).padStart(6, "0")}`
    const scope = StorageKeys.runScope(runId, pipelineRunId)
    const inputPath = StorageKeys.pipelineInput(pipelineRunId)
    if (spec.inline !== true) yield* h.storage.put(inputPath, JSON.stringify(spec.input), "application/json")
    const upstream: Record<string, typeof UpstreamRef.Encoded> = {}
    for (const [taskId, up] of Object.entries(spec.upstream ?? {})) {
      const upRunId = `trun_${taskId.replace(/[^A-Za-z0-9]/g, "")}up${counter}`
      const outputPath = StorageKeys.output(scope, upRunId)
      if (spec.inline !== true) yield* h.storage.put(outputPath, JSON.stringify(up.output), "application/json")
      const assets: Record<string, typeof AssetRef.Encoded> = {}
      for (const [key, asset] of Object.entries(up.assets ?? {})) {
        const path = StorageKeys.assetsPrefix(scope, upRunId) + key
        const info = yield* h.storage.put(path, asset.body, "application/octet-stream")
        assets[key] = { path, size: info.size, type: asset.type }
      }
      upstream[taskId] = spec.inline === true ? { outputPath, output: up.output, assets } : { outputPath, assets }
    }
    const now = yield* Clock.currentTimeMillis
    const attempt = spec.attempt ?? 1
    const storageToken = yield* sealer.sealStorageToken(
      { runId, taskId: spec.taskId, attempt, scope, inputPath, backend: { id: "local", provider: "local", credentials: { basePath: h.storageBase } } },
      now,
      600
    )
    const callbackToken = yield* crypto.signCredential({ _tag: "Run", runId, attempt, scope }, now, 600)
    const body = {
      runId,
      taskId: spec.taskId,
      pipelineRunId,
      attempt,
      codeVersion: spec.codeVersion ?? 1,
      codeHash: "0123456789abcdef",
      inputPath,
      ...(spec.inline === true ? { input: spec.input } : {}),
      upstream,
      previousAttempts: (spec.previousAttempts ?? []).map((a) => ({ ...a, timestamp: a.timestamp.toISOString() })),
      heartbeatIntervalMs: spec.heartbeatIntervalMs ?? 60_000,
      timeoutSeconds: spec.timeoutSeconds ?? 300,
      allowedNext: spec.allowedNext ?? [],
      outputPath: StorageKeys.output(scope, runId),
      assetsPrefix: StorageKeys.assetsPrefix(scope, runId),
      logsPath: StorageKeys.logs(scope, runId),
      ...(spec.inlineLimitBytes === undefined ? {} : { inlineLimitBytes: spec.inlineLimitBytes }),
      storageToken,
      callbackToken
    } satisfies typeof DispatchPayload.Encoded
    return body
  })

/** POSTs a body to the worker and returns status and parsed JSON. */
export const post = (url: string, body: unknown) =>
  Effect.promise(async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body)
    })
    const text = await response.text()
    return { status: response.status, body: text.length > 0 ? JSON.parse(text) as any : undefined }
  })

/** Dispatches `body` to the worker of the harness. */
export const dispatch = (h: Harness, body: { readonly taskId: string; readonly [field: string]: unknown }) => post(`${h.workerUrl}/tasks/${body.taskId}`, body)

/** Reads a JSON object from the harness's storage. */
export const readJson = (h: Pick<Harness, "storage">, key: string) =>
  Effect.map(h.storage.get(key), (bytes) => JSON.parse(Buffer.from(bytes).toString("utf8")) as unknown)
