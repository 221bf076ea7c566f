import { assert, describe, it } from "@effect/vitest"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { Clock, Effect } from "effect"
import { checkDispatch } from "../src/internal/checkDispatch.js"
import { makeSeenAttempts } from "../src/internal/SeenAttempts.js"
import { crypto, dispatch, makeDispatch, startHarness } from "./fixtures.js"

const echo = (worker: import("../src/index.js").Worker) => worker.register("echo", async (ctx) => ({ echoed: ctx.input }))

const storedKeys = (h: { readonly storage: { readonly list: (p: string) => Effect.Effect<ReadonlyArray<string>, unknown> } }) =>
  Effect.orDie(h.storage.list(""))

describe("a dispatch is bound to its tokens", () => {
  it.scopedLive("a dispatch whose paths, attempt, scope or callback credential were edited is refused 401 and runs nothing", () =>
    Effect.gen(function*() {
      let runs = 0
      const h = yield* startHarness((worker) => {
        worker.register("echo", async (ctx) => (runs++, ctx.input))
        worker.register("other", async (ctx) => (runs++, ctx.input))
      })
      const good = yield* makeDispatch(h, { taskId: "echo", input: { a: 1 } })
      const other = yield* makeDispatch(h, { taskId: "echo", input: { b: 2 } })
      const before = yield* storedKeys(h)
      const edits: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
        ["taskId", { taskId: "other" }],
        ["outputPath", { outputPath: other.outputPath }],
        ["outputPath", { outputPath: "runs/prun_victim/outputs/trun_victim.json" }],
        ["assetsPrefix", { assetsPrefix: other.assetsPrefix }],
        ["logsPath", { logsPath: other.logsPath }],
        ["inputPath", { inputPath: other.inputPath }],
        ["attempt", { attempt: good.attempt + 1 }],
        ["pipelineRunId", { pipelineRunId: other.pipelineRunId }],
        ["callbackToken", { callbackToken: other.callbackToken }],
        ["upstream.prev", { upstream: { prev: { outputPath: other.inputPath, assets: {} } } }],
        ["upstream.prev", { upstream: { prev: { outputPath: "runs/x/../../etc/passwd", assets: {} } } }]
      ]
      for (const [field, edit] of edits) {
        const answer = yield* dispatch(h, { ...good, ...edit })
        assert.strictEqual(answer.status, 401, `${field}: ${JSON.stringify(answer.body)}`)
        assert.strictEqual(answer.body._tag, "Unauthorized")
        assert.match(answer.body.message, new RegExp(`^${field.replace(".", "\\.")}: `))
      }
      assert.strictEqual(runs, 0)
      assert.strictEqual(h.fake.state.callbacks.length, 0)
      assert.strictEqual(h.fake.state.heartbeats.length, 0)
      assert.deepStrictEqual(yield* storedKeys(h), before)
    }))

  it.scopedLive("a replay of an accepted attempt is refused 409, unchanged or with fresh tokens for the same attempt", () =>
    Effect.gen(function*() {
      const h = yield* startHarness(echo)
      const body = yield* makeDispatch(h, { taskId: "echo", input: 5 })
      const first = yield* dispatch(h, body)
      assert.deepStrictEqual(first, { status: 200, body: { runId: body.runId, attempt: 1, status: "success" } })
      const output = yield* Effect.orDie(h.storage.get(body.outputPath))
      const replay = yield* dispatch(h, body)
      assert.strictEqual(replay.status, 409)
      assert.strictEqual(replay.body._tag, "Conflict")
      assert.match(replay.body.message, /already dispatched/)
      assert.strictEqual(h.fake.state.callbacks.length, 1)
      assert.deepStrictEqual(yield* Effect.orDie(h.storage.get(body.outputPath)), output)
      const next = yield* dispatch(h, yield* makeDispatch(h, { taskId: "echo", input: 6, runId: body.runId, attempt: 2 }))
      assert.strictEqual(next.status, 200)
    }))
})

describe("checkDispatch", () => {
  it.effect("accepts exactly what the orchestrator issues, names the first disagreeing field otherwise", () =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const scope = "prun_abc"
      const runId = "trun_xyz"
      const backend = { id: "local", provider: "local" as const, credentials: { basePath: "/x" } }
      const grant = { runId, taskId: "t", attempt: 3, scope, inputPath: StorageKeys.pipelineInput(scope), backend, expiresAtMs: now + 1 }
      const claims = yield* crypto.verifyCredential(
        yield* crypto.signCredential({ _tag: "Run", runId, attempt: 3, scope }, now, 60),
        now
      )
      const payload = {
        runId,
        taskId: "t",
        pipelineRunId: scope,
        attempt: 3,
        inputPath: grant.inputPath,
        upstream: { a: { outputPath: StorageKeys.output(scope, "trun_a"), assets: {} } },
        ...StorageKeys.writePaths(scope, runId)
      } as any
      assert.isTrue(checkDispatch(payload, grant, claims)._tag === "None")
      const field = (p: any, c = claims) => {
        const result = checkDispatch(p, grant, c)
        return result._tag === "Some" ? result.value.field : "none"
      }
      assert.strictEqual(field({ ...payload, pipelineRunId: null }), "pipelineRunId")
      assert.strictEqual(field({ ...payload, taskId: "other" }), "taskId")
      assert.strictEqual(field({ ...payload, assetsPrefix: `runs/${scope}/assets/` }), "assetsPrefix")
      assert.strictEqual(field(payload, { _tag: "Run", runId, attempt: 3 }), "callbackToken")
      assert.strictEqual(field(payload, { _tag: "Service", serviceId: "svc" }), "callbackToken")
    }))
})

describe("SeenAttempts", () => {
  it("remembers an attempt until its token expires, and stays within its capacity", () => {
    const seen = makeSeenAttempts(3)
    assert.isTrue(seen.claim("trun_a", 1, 1000, 0))
    assert.isFalse(seen.claim("trun_a", 1, 1000, 999))
    assert.isTrue(seen.claim("trun_a", 2, 1000, 0))
    assert.isTrue(seen.claim("trun_a", 1, 5000, 1000))
    assert.isTrue(seen.claim("trun_b", 1, 9000, 1000))
    assert.isTrue(seen.claim("trun_c", 1, 9000, 1000))
    assert.isAtMost(seen.size(), 3)
    assert.isFalse(seen.claim("trun_c", 1, 9000, 2000))
  })

  it("when full, forgets expired attempts first, then the oldest, down to a tenth below its capacity", () => {
    const seen = makeSeenAttempts(100)
    for (let i = 0; i < 100; i++) assert.isTrue(seen.claim(`trun_${i}`, 1, i % 20 === 0 ? 500 : 10_000, 0))
    assert.strictEqual(seen.size(), 100)
    // Full: the five expired ones go, then the five oldest live ones, leaving room for the next tenth.
    assert.isTrue(seen.claim("trun_new", 1, 10_000, 1000))
    assert.strictEqual(seen.size(), 91)
    assert.isTrue(seen.claim("trun_0", 1, 10_000, 1000), "an expired attempt is forgotten")
    assert.isTrue(seen.claim("trun_1", 1, 10_000, 1000), "the oldest live attempt is forgotten")
    assert.isTrue(seen.claim("trun_5", 1, 10_000, 1000))
    assert.isFalse(seen.claim("trun_6", 1, 10_000, 1000), "the sixth oldest live attempt is still refused")
    assert.isFalse(seen.claim("trun_99", 1, 10_000, 1000), "a recent attempt is still refused")
    assert.isFalse(seen.claim("trun_new", 1, 10_000, 1000))
    // The room made is used before the next pruning: nine more fit without forgetting anything.
    const before = seen.size()
    for (let i = 0; i < 100 - before; i++) seen.claim(`trun_more_${i}`, 1, 10_000, 1000)
    assert.strictEqual(seen.size(), 100)
    assert.isFalse(seen.claim("trun_99", 1, 10_000, 1000))
  })
})
