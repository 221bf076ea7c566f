import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { awaitRegistered, getJson, postJson, startOrchestrator, startWorker } from "../support/Cluster.js"
import { freePort, repoRoot, spawnNode, spawnTs, waitForHttp } from "../support/Processes.js"

describe("the orchestrator process", () => {
  it.live("a bad variable stops it with one line per problem, no stack trace", () =>
    Effect.gen(function*() {
      const proc = yield* spawnTs(join(repoRoot, "packages/orchestrator/src/main.ts"), {
        MAX_CONCURRENCY: "lots",
        MODE: "standalone"
      })
      const code = yield* Effect.promise(() => new Promise<number | null>((resolve) => proc.child.once("exit", resolve)))
      assert.strictEqual(code, 1)
      assert.strictEqual(proc.output().trim(), "Invalid configuration:\n  - MAX_CONCURRENCY must be an integer >= 1 (got \"lots\")")
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.live("serves its OpenAPI document at /openapi.json and Swagger UI at /docs", () =>
    Effect.gen(function*() {
      const { url } = yield* startOrchestrator()
      const openapi = yield* getJson<any>(`${url}/openapi.json`)
      assert.strictEqual(openapi.info.title, "PipeWeave Orchestrator API")
      for (const path of ["/api/register", "/api/queue/task", "/api/pipelines/{id}/trigger", "/api/dlq/{id}/retry", "/api/callback/{runId}"]) {
        assert.property(openapi.paths, path)
      }
      const docs = yield* Effect.promise(() => fetch(`${url}/docs`).then((r) => r.text()))
      assert.match(docs, /swagger-ui/i)
    }).pipe(Effect.scoped), { timeout: 60_000 })

  it.live("the bundled build (dist/orchestrator.mjs) creates its embedded database, migrates and runs a task", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const url = `http://127.0.0.1:${port}`
      const proc = yield* spawnNode([join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")], {
        PORT: String(port),
        HOST: "127.0.0.1",
        MODE: "standalone",
        PIPEWEAVE_SECRET_KEY: "7f".repeat(32),
        PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-bundle-"))
      })
      yield* waitForHttp(`${url}/health`, proc)
      assert.include(proc.output(), "from the bundled template")
      const worker = yield* startWorker(url)
      yield* Effect.zipRight(Effect.succeed(worker), awaitRegistered(url))
      const { runId } = yield* postJson(`${url}/api/queue/task`, { taskId: "work", input: { workMs: 1 } })
      const run = yield* getJson<any>(`${url}/api/task-runs/${runId}`).pipe(
        Effect.filterOrFail((r) => r.status === "completed", () => new Error("not completed")),
        Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("60 seconds"))),
        Effect.orDie
      )
      assert.strictEqual(run.attempts.length, 1)
      // Swagger UI's assets load on demand, from the installed @effect/platform beside the bundle.
      const docs = yield* Effect.promise(() => fetch(`${url}/docs`).then(async (r) => ({ status: r.status, text: await r.text() })))
      assert.strictEqual(docs.status, 200)
      assert.include(docs.text, "SwaggerUIBundle")
      assert.include(docs.text, "/api/callback/{runId}")
    }).pipe(Effect.scoped), { timeout: 120_000 })
})
