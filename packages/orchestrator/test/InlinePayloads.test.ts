import { existsSync } from "node:fs"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { api, awaitRun, serveOrchestrator, serveWorker, until } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"

const LIMIT = 256


/** Keys in an order `jsonb` would not keep, and values JSON round-trips exactly. */
const small = { zeta: 1, alpha: [true, null, "ü"], mid: { b: 2, a: 1 } }
const large = { blob: "x".repeat(LIMIT * 4), zeta: 1 }

for (const [name, database] of databases) {
  describe(`inline payloads over real HTTP workers (${name})`, () => {
    it.live("small inputs and outputs stay in the database yet read the same; large ones go through storage", () =>
      Effect.gen(function*() {
        const { settings, url } = yield* serveOrchestrator(database(), { inlinePayloadBytes: LIMIT })
        const storageRoot = join(settings.dataDir, "storage")
        const seen: Record<string, { input: string; upstream: string }> = {}
        yield* serveWorker(url, "inline", (w) => {
          w.register("echo", { allowedNext: ["after"] }, async (ctx) => {
            seen[ctx.runId] = { input: JSON.stringify(ctx.input), upstream: JSON.stringify(ctx.upstream) }
            return ctx.input
          })
          w.register("after", {}, async (ctx) => {
            seen[ctx.runId] = { input: JSON.stringify(ctx.input), upstream: JSON.stringify(ctx.upstream) }
            return { got: ctx.upstream["echo"] }
          })
        })
        const taskRun = (id: string) => api<any>(url, `/api/task-runs/${id}`)
        const ended = (run: any) => ["completed", "failed"].includes(run.status)

        const inline = yield* until(taskRun((yield* api(url, "/api/queue/task", { taskId: "echo", input: small })).runId), ended)
        assert.strictEqual(inline.status, "completed")
        assert.strictEqual(seen[inline.runId]!.input, JSON.stringify(small))
        assert.isFalse(existsSync(join(storageRoot, inline.inputPath)))
        assert.isFalse(existsSync(join(storageRoot, inline.outputPath)))
        assert.deepStrictEqual((yield* api(url, `/api/storage/${inline.inputPath}`)).content, small)
        assert.deepStrictEqual((yield* api(url, `/api/storage/${inline.outputPath}`)).content, small)
        assert.strictEqual(inline.outputSize, Buffer.byteLength(JSON.stringify(small)))

        const stored = yield* until(taskRun((yield* api(url, "/api/queue/task", { taskId: "echo", input: large })).runId), ended)
        assert.strictEqual(stored.status, "completed")
        assert.strictEqual(seen[stored.runId]!.input, JSON.stringify(large))
        assert.isTrue(existsSync(join(storageRoot, stored.inputPath)))
        assert.isTrue(existsSync(join(storageRoot, stored.outputPath)))
        assert.deepStrictEqual((yield* api(url, `/api/storage/${stored.outputPath}`)).content, large)

        const piped = yield* awaitRun(url, (yield* api(url, "/api/pipelines/echo/trigger", { input: small })).pipelineRunId)
        assert.strictEqual(piped.status, "completed")
        const after = piped.tasks.find((t: any) => t.taskId === "after")
        assert.strictEqual(seen[after.taskRunId]!.input, JSON.stringify(small))
        assert.strictEqual(seen[after.taskRunId]!.upstream, JSON.stringify({ echo: small }))
        assert.deepStrictEqual((yield* api(url, `/api/storage/${after.outputPath}`)).content, { got: small })
        assert.isFalse(existsSync(join(storageRoot, piped.inputPath)))
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
