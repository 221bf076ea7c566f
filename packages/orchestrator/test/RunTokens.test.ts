import { assert, describe, it } from "@effect/vitest"
import { Crypto, makeCrypto } from "@pipeweave/storage/Crypto"
import type { StorageBackendConfig } from "@pipeweave/storage/StorageBackendConfig"
import { Effect, Either, Layer, Redacted, TestClock } from "effect"
import { DatabaseInfo } from "../src/Database.js"
import { RunTokens, type TokenSubject } from "../src/flow/RunTokens.js"

const SECRET = "ab".repeat(32)
/** How many storage tokens the crypto below has sealed. */
let sealed = 0
const countingCrypto = Layer.effect(
  Crypto,
  Effect.map(makeCrypto(Redacted.make(SECRET)), (crypto) => ({
    ...crypto,
    sync: {
      ...crypto.sync,
      sealStorageToken: (...args: Parameters<typeof crypto.sync.sealStorageToken>) => {
        sealed++
        return crypto.sync.sealStorageToken(...args)
      }
    }
  }))
)
const onDatabase = (dialect: "postgres" | "pglite") =>
  RunTokens.Default.pipe(
    Layer.provideMerge(countingCrypto),
    Layer.provide(Layer.succeed(DatabaseInfo, { dialect, location: "test", schema: "pipeweave" }))
  )
const Env = onDatabase("postgres")

/** Whether `f` sealed a token of its own (rather than taking one minted ahead). */
const mints = <A>(f: () => A): [A, boolean] => {
  const before = sealed
  const value = f()
  return [value, sealed > before]
}

const backend: StorageBackendConfig = { id: "default", provider: "local", credentials: { basePath: "/tmp/pw-run-tokens" } }
const subject = (runId: string, changes: Partial<TokenSubject> = {}): TokenSubject => ({
  runId,
  taskId: "noop",
  pipelineRunId: null,
  attempt: 1,
  inputPath: `standalone/${runId}/input.json`,
  backend,
  timeoutSeconds: 60,
  ...changes
})
const T0 = 1_800_000_000_000

/** Lets the event loop's turn end, after which what was asked for is minted ahead. */
const mintedAhead = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

describe("RunTokens", () => {
  it.effect("a dispatch takes the tokens minted ahead for exactly its run, once, and they open to what it claims", () =>
    Effect.gen(function*() {
      const tokens = yield* RunTokens
      const crypto = yield* Crypto
      tokens.mintAhead([subject("trun_a"), subject("trun_b")], T0)
      yield* mintedAhead
      const [first, mintedFirst] = mints(() => tokens.forDispatch(subject("trun_a"), T0 + 5))
      assert.isFalse(mintedFirst, "the pair minted ahead is taken")
      assert.isTrue(mints(() => tokens.forDispatch(subject("trun_a"), T0 + 5))[1], "a held pair is used once")
      assert.isFalse(mints(() => tokens.forDispatch(subject("trun_b"), T0 + 5))[1])
      const grant = Either.getOrThrow(crypto.sync.openStorageToken(first.storageToken, T0 + 5))
      assert.deepStrictEqual(
        [grant.runId, grant.taskId, grant.attempt, grant.scope, grant.inputPath],
        ["trun_a", "noop", 1, "trun_a", "standalone/trun_a/input.json"]
      )
      assert.deepStrictEqual(
        Either.getOrThrow(crypto.sync.verifyCredential(first.callbackToken, T0 + 5)),
        { _tag: "Run", runId: "trun_a", attempt: 1, scope: "trun_a" }
      )
    }).pipe(Effect.provide(Env)))

  it.effect("a claim that differs from what was minted ahead, or comes too late, gets tokens of its own", () =>
    Effect.gen(function*() {
      const tokens = yield* RunTokens
      const crypto = yield* Crypto
      const held = [
        subject("trun_attempt"),
        subject("trun_timeout"),
        subject("trun_backend"),
        subject("trun_late"),
        subject("trun_same")
      ]
      tokens.mintAhead(held, T0)
      yield* mintedAhead
      const [retried, mintedRetry] = mints(() => tokens.forDispatch(subject("trun_attempt", { attempt: 2 }), T0))
      assert.isTrue(mintedRetry)
      assert.strictEqual(Either.getOrThrow(crypto.sync.openStorageToken(retried.storageToken, T0)).attempt, 2)
      const [longer, mintedLonger] = mints(() => tokens.forDispatch(subject("trun_timeout", { timeoutSeconds: 7200 }), T0))
      assert.isTrue(mintedLonger)
      const expiresAt = Either.getOrThrow(crypto.sync.openStorageToken(longer.storageToken, T0)).expiresAtMs
      assert.strictEqual(expiresAt, T0 + (7200 + 15 * 60) * 1000)
      const other: StorageBackendConfig = { id: "archive", provider: "local", credentials: { basePath: "/tmp/pw-archive" } }
      const [moved, mintedMoved] = mints(() => tokens.forDispatch(subject("trun_backend", { backend: other }), T0))
      assert.isTrue(mintedMoved)
      assert.strictEqual(Either.getOrThrow(crypto.sync.openStorageToken(moved.storageToken, T0)).backend.id, "archive")
      const [late, mintedLate] = mints(() => tokens.forDispatch(subject("trun_late"), T0 + 1001))
      assert.isTrue(mintedLate)
      assert.strictEqual(
        Either.getOrThrow(crypto.sync.openStorageToken(late.storageToken, T0 + 1001)).expiresAtMs,
        Math.floor((T0 + 1001) / 1000) * 1000 + (60 + 15 * 60) * 1000
      )
      // A mismatch consumes what was held: a later matching dispatch mints again.
      assert.isTrue(mints(() => tokens.forDispatch(subject("trun_attempt"), T0))[1])
      assert.isFalse(mints(() => tokens.forDispatch(subject("trun_same"), T0))[1])
    }).pipe(Effect.provide(Env)))

  it.effect("tokens minted ahead and never claimed are bounded and dropped once stale", () =>
    Effect.gen(function*() {
      const tokens = yield* RunTokens
      tokens.mintAhead(Array.from({ length: 100 }, (_, i) => subject(`trun_${i}`)), T0)
      yield* mintedAhead
      const kept = (runId: string, at: number) => !mints(() => tokens.forDispatch(subject(runId), at))[1]
      assert.isTrue(kept("trun_63", T0))
      assert.isFalse(kept("trun_64", T0), "at most 64 runs are held")
      tokens.mintAhead([subject("trun_next")], T0 + 2000)
      yield* mintedAhead
      assert.isFalse(kept("trun_0", T0 + 2000), "a later mint drops what has gone stale")
    }).pipe(Effect.provide(Env)))

  it.effect("before an insert that claims, the pending runs it would claim first are minted ahead, waiting ones never", () =>
    Effect.gen(function*() {
      const tokens = yield* RunTokens
      yield* TestClock.setTime(T0)
      const run = (id: string, status: "pending" | "waiting", priority: number) => ({
        id,
        taskId: "noop",
        pipelineRunId: "prun_x",
        status,
        priority,
        inputPath: "pipelines/prun_x/input.json"
      })
      const runs = [run("trun_low", "pending", 9), run("trun_wait", "waiting", 0), run("trun_high", "pending", 1), run("trun_mid", "pending", 5)]
      yield* tokens.mintForInsert(runs, 2, backend, () => 60)
      yield* mintedAhead
      const at = (runId: string) => subject(runId, { pipelineRunId: "prun_x", inputPath: "pipelines/prun_x/input.json" })
      assert.deepStrictEqual(
        ["trun_high", "trun_mid", "trun_low", "trun_wait"].map((id) => mints(() => tokens.forDispatch(at(id), T0 + 1))[1]),
        [false, false, true, true]
      )
    }).pipe(Effect.provide(Env)))

  it.effect("before a completion that starts a pipeline's tasks, the ones its trigger knows are minted ahead, up to the claim's limit", () =>
    Effect.gen(function*() {
      const tokens = yield* RunTokens
      yield* TestClock.setTime(T0)
      const at = (runId: string, taskId: string) =>
        subject(runId, { taskId, pipelineRunId: "prun_y", inputPath: "pipelines/prun_y/input.json" })
      const waiting = new Map([["b", at("trun_b", "b")], ["c", at("trun_c", "c")], ["d", at("trun_d", "d")]])
      yield* tokens.mintForStart(waiting, ["b", "unknown", "c", "d"], 3)
      yield* mintedAhead
      assert.deepStrictEqual(
        [at("trun_b", "b"), at("trun_c", "c"), at("trun_d", "d")].map((s) => mints(() => tokens.forDispatch(s, T0 + 1))[1]),
        [false, false, true],
        "the limit counts the tasks asked for: d is past it"
      )
      yield* tokens.mintForStart(undefined, ["d"], 1)
      yield* tokens.mintForStart(waiting, ["d"], 0)
      yield* mintedAhead
      assert.isTrue(mints(() => tokens.forDispatch(at("trun_d", "d"), T0 + 1))[1], "nothing known, or nothing claimed: nothing minted")
    }).pipe(Effect.provide(Env)))

  it.effect("on the embedded database nothing is minted ahead: it answers in the orchestrator's own thread, with no wait to fill", () =>
    Effect.gen(function*() {
      const tokens = yield* RunTokens
      assert.isFalse(tokens.mintsAhead)
      tokens.mintAhead([subject("trun_embedded")], T0)
      yield* mintedAhead
      assert.isTrue(mints(() => tokens.forDispatch(subject("trun_embedded"), T0 + 1))[1])
    }).pipe(Effect.provide(onDatabase("pglite"))))

  it.effect("what is asked for is minted after the caller's synchronous work and its microtasks, not during them", () =>
    Effect.gen(function*() {
      const tokens = yield* RunTokens
      tokens.mintAhead([subject("trun_later")], T0)
      // A statement handed its pooled connection in a microtask or a tick leaves before the minting.
      yield* Effect.promise(() => new Promise<void>((resolve) => process.nextTick(() => queueMicrotask(resolve))))
      assert.isTrue(mints(() => tokens.forDispatch(subject("trun_later"), T0 + 1))[1], "not minted yet")
      tokens.mintAhead([subject("trun_later2")], T0)
      yield* mintedAhead
      assert.isFalse(mints(() => tokens.forDispatch(subject("trun_later2"), T0 + 1))[1])
    }).pipe(Effect.provide(Env)))
})
