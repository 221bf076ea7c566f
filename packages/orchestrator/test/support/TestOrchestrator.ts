import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { NodeHttpServer } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { Effect, Layer, Option, Redacted } from "effect"
import { defaultConfig, type OrchestratorSettings } from "../../src/Config.js"
import type * as Database from "../../src/Database.js"
import { http, services } from "../../src/Orchestrator.js"

export const TEST_SECRET = "7f".repeat(32)

export const testSettings = (overrides: Partial<OrchestratorSettings> = {}): OrchestratorSettings =>
  defaultConfig({
    dataDir: mkdtempSync(join(tmpdir(), "pipeweave-test-")),
    secretKey: Option.some(Redacted.make(TEST_SECRET)),
    mode: "serverless",
    ...overrides
  })

/** The orchestrator's HTTP API on a random port (HttpClient pointed at it), over the given database. */
export const testOrchestrator = (
  database: ReturnType<typeof Database.layer>,
  settings: OrchestratorSettings = testSettings()
) => http.pipe(Layer.provideMerge(NodeHttpServer.layerTest), Layer.provideMerge(services(settings, database)))

const TABLES = [
  "services",
  "service_instances",
  "tasks",
  "task_code_history",
  "task_runs",
  "task_run_attempts",
  "dead_letters",
  "pipelines",
  "pipeline_runs",
  "idempotency_keys",
  "task_run_counts",
  "task_run_count_deltas"
] as const

/** Every row of every table, for "nothing changed" assertions. */
export const databaseSnapshot = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const snapshot: Record<string, unknown> = {}
  for (const table of TABLES) {
    snapshot[table] = yield* sql`SELECT * FROM ${sql(table)} ORDER BY 1, 2`
  }
  return snapshot
}).pipe(Effect.orDie)
