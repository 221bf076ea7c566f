import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import type { TaskContext, Worker } from "../src/index.js"
import { dispatch, type Harness, makeDispatch, readJson, startHarness } from "./fixtures.js"

const upstream = {
  "extract-text": { output: { text: "héllo", pages: [1, 2] }, assets: { notes: { body: "some notes", type: "text" as const } } },
  "download": { output: null }
}

const recording = (seen: Array<unknown>) => (worker: Worker) =>
  worker.register("inspect", async (ctx: TaskContext) => {
    seen.push({
      attempt: ctx.attempt,
      codeVersion: ctx.codeVersion,
      codeHash: ctx.codeHash,
      input: ctx.input,
      upstream: ctx.upstream,
      previousAttempts: ctx.previousAttempts,
      notes: await ctx.getAsset("notes")
    })
    return ctx.input
  })

const successOf = (h: Harness, runId: string) => {
  const callback = h.fake.state.callbacks.find((c) => c.runId === runId)!.body
  assert.strictEqual(callback.status, "success")
  return callback as Extract<typeof callback, { readonly status: "success" }>
}

describe("inline payloads", () => {
  it.scopedLive("an inline input and inline upstream outputs give the handler the same ctx as storage does", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const h = yield* startHarness(recording(seen))
      const input = { doc: 42, name: "ünïcode", nested: [null, true, 1.5] }
      const stored = yield* makeDispatch(h, { taskId: "inspect", input, upstream })
      const inline = yield* makeDispatch(h, { taskId: "inspect", input, upstream, inline: true })
      assert.deepStrictEqual(yield* h.storage.head(inline.inputPath), Option.none())
      assert.deepStrictEqual(yield* h.storage.head(inline.upstream["extract-text"]!.outputPath), Option.none())
      assert.strictEqual((yield* dispatch(h, stored)).body.status, "success")
      assert.strictEqual((yield* dispatch(h, inline)).body.status, "success")
      assert.strictEqual(seen.length, 2)
      assert.deepStrictEqual(seen[1], seen[0])
      assert.deepInclude(seen[0], { input, upstream: { "extract-text": upstream["extract-text"].output, "download": null } })
    }))

  it.scopedLive("an inline null input is used as is, not read from storage", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const h = yield* startHarness((worker) => worker.register("echo", async (ctx) => void seen.push(ctx.input)))
      const body = yield* makeDispatch(h, { taskId: "echo", input: null, inline: true })
      yield* dispatch(h, body)
      assert.deepStrictEqual(seen, [null])
      assert.strictEqual(h.fake.state.callbacks[0]!.body.status, "success")
    }))

  it.scopedLive("an output of at most inlineLimitBytes (UTF-8) goes back in the callback; nothing is written", () =>
    Effect.gen(function*() {
      const output = { text: "héllo ✓", n: 1 }
      const json = JSON.stringify(output)
      const bytes = Buffer.byteLength(json)
      assert.isAbove(bytes, json.length)
      const h = yield* startHarness((worker) => worker.register("make", async () => output))
      const atLimit = yield* makeDispatch(h, { taskId: "make", input: {}, inline: true, inlineLimitBytes: bytes })
      yield* dispatch(h, atLimit)
      assert.deepStrictEqual(successOf(h, atLimit.runId), {
        status: "success",
        attempt: 1,
        outputPath: atLimit.outputPath,
        outputSize: bytes,
        output,
        assets: {}
      })
      assert.deepStrictEqual(yield* h.storage.head(atLimit.outputPath), Option.none())
    }))

  it.scopedLive("a larger output, or no inlineLimitBytes, goes to storage as before", () =>
    Effect.gen(function*() {
      const output = { text: "héllo ✓", n: 1 }
      const json = JSON.stringify(output)
      const h = yield* startHarness((worker) => worker.register("make", async () => output))
      for (const inlineLimitBytes of [json.length, 0, undefined]) {
        const body = yield* makeDispatch(h, {
          taskId: "make",
          input: {},
          inline: true,
          ...(inlineLimitBytes === undefined ? {} : { inlineLimitBytes })
        })
        yield* dispatch(h, body)
        const callback = successOf(h, body.runId)
        assert.isFalse("output" in callback)
        assert.strictEqual(callback.outputSize, Buffer.byteLength(json))
        assert.deepStrictEqual(yield* readJson(h, body.outputPath), output)
      }
    }))
})
