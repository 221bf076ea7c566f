import { createServer } from "node:http"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { createWorker, type Worker } from "@pipeweave/sdk"
import { Context, Effect, Layer, Schedule } from "effect"
import type { OrchestratorSettings } from "../../src/Config.js"
import type * as Database from "../../src/Database.js"
import { http, services } from "../../src/Orchestrator.js"
import { freePort } from "./Processes.js"
import { TEST_SECRET, testSettings } from "./TestOrchestrator.js"

/** A standalone orchestrator served on a real port of 127.0.0.1, over the given database, for the scope. */
export const serveOrchestrator = (
  database: ReturnType<typeof Database.layer>,
  overrides: Partial<OrchestratorSettings> = {}
) =>
  Effect.gen(function*() {
    const settings = testSettings({ mode: "standalone", pollIntervalMs: 200, ...overrides })
    const context = yield* Layer.build(
      http.pipe(
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
        Layer.provideMerge(services(settings, database))
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    const url = address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : ""
    return { url, context, settings }
  })

/** A real SDK worker on a free port, registered with `orchestratorUrl`, stopped with the scope. */
export const serveWorker = (
  orchestratorUrl: string,
  serviceId: string,
  define: (worker: Worker) => void,
  version = "1.0.0"
) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const port = yield* freePort
      const worker = createWorker({
        orchestratorUrl,
        serviceId,
        version,
        secretKey: TEST_SECRET,
        baseUrl: `http://127.0.0.1:${port}`,
        silent: true,
        handleSignals: false
      })
      define(worker)
      yield* Effect.promise(() => worker.listen(port, "127.0.0.1"))
      return worker
    }),
    (worker) => Effect.promise(() => worker.stop())
  )

export const api = <A = any>(url: string, path: string, body?: unknown) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${url}${path}`, body === undefined ? undefined : {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    const json = await response.json()
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`)
    return json as A
  }).pipe(Effect.orDie)

const TERMINAL = new Set(["completed", "failed", "partial", "cancelled"])

/** `effect` repeated every 25 ms until `ok` holds of its value (within `seconds`); dies with the last value otherwise. */
export const until = <A>(effect: Effect.Effect<A>, ok: (a: A) => boolean, seconds = 60) =>
  effect.pipe(
    Effect.filterOrFail(ok, (a) => new Error(`condition not met: ${JSON.stringify(a)}`)),
    Effect.retry(Schedule.spaced("25 millis").pipe(Schedule.upTo(`${seconds} seconds`))),
    Effect.orDie
  )

/** Polls a pipeline run until it ends (real time, bounded). */
export const awaitRun = (url: string, pipelineRunId: string, seconds = 60) =>
  until(api<any>(url, `/api/runs/${pipelineRunId}`), (run) => TERMINAL.has(run.status), seconds)
