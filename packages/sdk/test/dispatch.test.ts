import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { existsSync } from "node:fs"
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { TaskResult } from "../src/index.js"
import { makeFakeState } from "./FakeOrchestrator.js"
import { dispatch, makeDispatch, readJson, startHarness, tempDirectory } from "./fixtures.js"

describe("dispatch: success", () => {
  it.scopedLive("hydrates input and upstream, uploads assets and output, removes the temp dir, calls back", () =>
    Effect.gen(function*() {
      const seen: Array<unknown> = []
      const sourceDir = yield* tempDirectory("source")
      const h = yield* startHarness((worker) =>
        worker.register("summarize", { allowedNext: ["notify", "archive"] }, async (ctx) => {
          const pdf = await ctx.getAsset<Buffer>("pdf")
          const meta = await ctx.getAsset("meta")
          const notes = await ctx.getAsset("extract-text/notes")
          const pdfPath = await ctx.getAssetPath("pdf")
          seen.push({
            runId: ctx.runId,
            pipelineRunId: ctx.pipelineRunId,
            attempt: ctx.attempt,
            codeVersion: ctx.codeVersion,
            codeHash: ctx.codeHash,
            input: ctx.input,
            upstream: ctx.upstream,
            previousAttempts: ctx.previousAttempts,
            pdf: pdf.toString("hex"),
            meta,
            notes,
            pdfFromPath: (await readFile(pdfPath)).toString("hex")
          })
          ctx.log.info("summarizing", { pages: 3 })
          await ctx.progress(50, "half way")
          const report = await ctx.addAsset("report", "text", "a summary")
          await ctx.addAsset("tables", "json", [{ a: 1 }])
          await ctx.addAsset("image", "binary", Buffer.from([1, 2, 3, 4]))
          await writeFile(join(sourceDir, "source.bin"), Buffer.alloc(10, 7))
          await ctx.addAssetFromPath("copy", "binary", join(sourceDir, "source.bin"))
          assert.strictEqual(await ctx.getAsset("report"), "a summary")
          return TaskResult.make({ summary: "short", report }, ["notify"])
        })
      )
      const body = yield* makeDispatch(h, {
        taskId: "summarize",
        input: { doc: 42 },
        allowedNext: ["notify", "archive"],
        attempt: 2,
        previousAttempts: [{ attempt: 1, error: "boom", errorCode: "API", timestamp: new Date("2026-01-02T03:04:05Z") }],
        upstream: {
          "extract-text": {
            output: { text: "hello" },
            assets: { notes: { body: "some notes", type: "text" }, meta: { body: JSON.stringify({ k: "v" }), type: "json" } }
          },
          "download": { output: { pages: 3 }, assets: { pdf: { body: new Uint8Array([0xde, 0xad]), type: "binary" } } }
        }
      })
      const response = yield* dispatch(h, body)
      assert.deepStrictEqual(response, { status: 200, body: { runId: body.runId, attempt: 2, status: "success" } })

      assert.deepStrictEqual(seen, [{
        runId: body.runId,
        pipelineRunId: body.pipelineRunId,
        attempt: 2,
        codeVersion: 1,
        codeHash: "0123456789abcdef",
        input: { doc: 42 },
        upstream: { "extract-text": { text: "hello" }, "download": { pages: 3 } },
        previousAttempts: [{ attempt: 1, error: "boom", errorCode: "API", timestamp: new Date("2026-01-02T03:04:05Z") }],
        pdf: "dead",
        meta: { k: "v" },
        notes: "some notes",
        pdfFromPath: "dead"
      }])

      const callbacks = h.fake.state.callbacks
      assert.strictEqual(callbacks.length, 1)
      assert.deepStrictEqual(callbacks[0]!.claims, { _tag: "Run", runId: body.runId, attempt: 2, scope: body.pipelineRunId })
      const output = { summary: "short", report: body.assetsPrefix + "report" }
      const outputSize = Buffer.byteLength(JSON.stringify(output))
      assert.deepStrictEqual(callbacks[0]!.body, {
        status: "success",
        attempt: 2,
        outputPath: body.outputPath,
        outputSize,
        assets: {
          report: { path: body.assetsPrefix + "report", size: 9, type: "text" },
          tables: { path: body.assetsPrefix + "tables", size: Buffer.byteLength(JSON.stringify([{ a: 1 }])), type: "json" },
          image: { path: body.assetsPrefix + "image", size: 4, type: "binary" },
          copy: { path: body.assetsPrefix + "copy", size: 10, type: "binary" }
        },
        logsPath: body.logsPath,
        selectedNext: ["notify"]
      })
      assert.deepStrictEqual(yield* readJson(h, body.outputPath), output)
      assert.strictEqual(Buffer.from(yield* h.storage.get(body.assetsPrefix + "report")).toString(), "a summary")
      assert.deepStrictEqual(yield* readJson(h, body.assetsPrefix + "tables"), [{ a: 1 }])
      assert.deepStrictEqual([...(yield* h.storage.get(body.assetsPrefix + "image"))], [1, 2, 3, 4])

      const logLines = Buffer.from(yield* h.storage.get(body.logsPath)).toString().trim().split("\n").map((l) => JSON.parse(l))
      assert.strictEqual(logLines.length, 1)
      assert.deepInclude(logLines[0], { level: "info", message: "summarizing", pages: 3, attempt: 2 })
      assert.match(logLines[0].ts, /^\d{4}-\d\d-\d\dT/)

      assert.isFalse(existsSync(join(h.tempDir, body.runId)))
      assert.deepStrictEqual(h.fake.state.progress, [{ runId: body.runId, percent: 50, message: "half way" }])
    }))

  it.scopedLive("a plain return value is the whole output, and selectedNext is omitted", () =>
    Effect.gen(function*() {
      const h = yield* startHarness((worker) =>
        worker
          .register("echo", async (ctx) => ({ output: ctx.input, extra: true }))
          .register("nothing", () => undefined)
      )
      const body = yield* makeDispatch(h, { taskId: "echo", input: "x" })
      yield* dispatch(h, body)
      const callback = h.fake.state.callbacks[0]!.body
      assert.strictEqual(callback.status, "success")
      assert.isFalse("selectedNext" in callback)
      assert.deepStrictEqual(yield* readJson(h, body.outputPath), { output: "x", extra: true })

      const none = yield* makeDispatch(h, { taskId: "nothing", input: null })
      yield* dispatch(h, none)
      assert.deepStrictEqual(yield* readJson(h, none.outputPath), null)
      assert.deepInclude(h.fake.state.callbacks[1]!.body, { status: "success", outputSize: 4, assets: {} })
    }))

  it.scopedLive("a later attempt appends its lines, each naming its attempt, after the earlier attempts' lines", () =>
    Effect.gen(function*() {
      const h = yield* startHarness((worker) =>
        worker.register("retried", async (ctx) => {
          ctx.log.info("second try", { pages: 2 })
          return { ok: true }
        })
      )
      const body = yield* makeDispatch(h, { taskId: "retried", input: {}, attempt: 2 })
      const earlier = [
        { ts: "2026-01-01T00:00:00.000Z", level: "info", message: "first try", attempt: 1 },
        { ts: "2026-01-01T00:00:01.000Z", level: "error", message: "attempt 1 failed: busy", attempt: 1 },
        { ts: "2026-01-01T00:00:02.000Z", level: "info", message: "an earlier delivery of attempt 2", attempt: 2 }
      ]
      yield* h.storage.put(body.logsPath, earlier.map((l) => JSON.stringify(l) + "\n").join(""), "application/x-ndjson")
      yield* dispatch(h, body)
      const lines = Buffer.from(yield* h.storage.get(body.logsPath)).toString().trim().split("\n").map((l) => JSON.parse(l))
      assert.deepStrictEqual(lines.map((l) => [l.attempt, l.message]), [[1, "first try"], [1, "attempt 1 failed: busy"], [2, "second try"]])
      assert.deepInclude(lines[2], { level: "info", pages: 2 })
    }))

  it.scopedLive("an attempt that logs nothing writes no log, and its callback names no logsPath", () =>
    Effect.gen(function*() {
      const h = yield* startHarness((worker) => worker.register("quiet", async () => ({ ok: true })))
      const body = yield* makeDispatch(h, { taskId: "quiet", input: {} })
      yield* dispatch(h, body)
      const callback = h.fake.state.callbacks[0]!.body
      assert.strictEqual(callback.status, "success")
      assert.isFalse("logsPath" in callback)
      assert.deepStrictEqual(yield* h.storage.head(body.logsPath), Option.none())
    }))

  it.scopedLive("the run's temp dir is created when an asset needs it, and removed at the end", () =>
    Effect.gen(function*() {
      const seen: Array<boolean> = []
      const h = yield* startHarness((worker) =>
        worker.register("assets", async (ctx) => {
          const dir = join(h.tempDir, ctx.runId)
          seen.push(existsSync(dir))
          await ctx.addAsset("note", "text", "hello")
          seen.push(existsSync(join(dir, "note")))
          return null
        })
      )
      const body = yield* makeDispatch(h, { taskId: "assets", input: {} })
      yield* dispatch(h, body)
      assert.deepStrictEqual(seen, [false, true])
      assert.isFalse(existsSync(join(h.tempDir, body.runId)))
      assert.strictEqual(Buffer.from(yield* h.storage.get(body.assetsPrefix + "note")).toString(), "hello")
    }))

  it.scopedLive("a handler that runs past its first beat heartbeats with the run's credential", () =>
    Effect.gen(function*() {
      const state = makeFakeState()
      const h = yield* startHarness((worker) =>
        worker.register("long", async (ctx) => {
          while (!state.heartbeats.some((beat) => beat.runId === ctx.runId)) {
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
          return "beaten"
        }), {}, state)
      const body = yield* makeDispatch(h, { taskId: "long", input: {}, heartbeatIntervalMs: 50, attempt: 2 })
      const response = yield* dispatch(h, body)
      assert.deepStrictEqual(response.body, { runId: body.runId, attempt: 2, status: "success" })
      assert.deepStrictEqual(state.heartbeats[0], {
        runId: body.runId,
        attempt: 2,
        claims: { _tag: "Run", runId: body.runId, attempt: 2, scope: body.pipelineRunId }
      })
    }))
})

