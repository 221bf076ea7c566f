import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { getJson, startOrchestrator } from "../support/Cluster.js"
import { repoRoot, spawnTs } from "../support/Processes.js"

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
})
