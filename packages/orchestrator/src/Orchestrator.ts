import { createServer } from "node:http"
import { HttpApiBuilder, HttpApiSwagger, HttpServer } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Effect, Layer } from "effect"
import * as Config from "./Config.js"
import * as Database from "./Database.js"
import { ManagementAuthLive, WorkerAuthLive } from "./http/Auth.js"
import { jsonErrors } from "./http/JsonErrors.js"
import { QueueHttp } from "./http/QueueHttp.js"
import { ServicesHttp } from "./http/ServicesHttp.js"
import { StorageHttp } from "./http/StorageHttp.js"
import { HealthHttp, ProcessHttp } from "./http/SystemHttp.js"
import { WorkerHttp } from "./http/WorkerHttp.js"
import { DeadLetters } from "./dlq/DeadLetters.js"
import { DlqHttp } from "./http/DlqHttp.js"
import { PipelinesHttp } from "./http/PipelinesHttp.js"
import { OrchestratorIdentity } from "./OrchestratorIdentity.js"
import { DryRun } from "./pipeline/DryRun.js"
import { PipelineCatalog } from "./pipeline/PipelineCatalog.js"
import { PipelineEngine } from "./pipeline/PipelineEngine.js"
import { PipelineReads } from "./pipeline/PipelineReads.js"
import { Callbacks } from "./queue/Callbacks.js"
import { Idempotency } from "./queue/Idempotency.js"
import { RunResults } from "./queue/RunResults.js"
import { Monitor } from "./scheduler/Monitor.js"
import { Submissions } from "./queue/Submissions.js"
import { TaskQueue } from "./queue/TaskQueue.js"
import { TaskRunReads } from "./queue/TaskRunReads.js"
import { Registry } from "./registry/Registry.js"
import { Dispatcher } from "./scheduler/Dispatcher.js"
import { Scheduler } from "./scheduler/Scheduler.js"
import { resolveSecret } from "./Secret.js"
import { storageLayer } from "./StorageSettings.js"

const DispatchClient = NodeHttpClient.layerWithoutAgent.pipe(
  Layer.provide(NodeHttpClient.makeAgentLayer({ keepAlive: true, maxSockets: 512 }))
)

/** Every service of the orchestrator, without the HTTP server; tests may swap the database. */
export const services = (
  settings: Config.OrchestratorSettings,
  database: ReturnType<typeof Database.layer> = Database.layer(settings)
) => {
  const infrastructure = Layer.mergeAll(
    Config.layer(settings),
    database,
    Layer.unwrapEffect(Effect.map(resolveSecret(settings), Crypto.fromSecret)),
    storageLayer(settings),
    OrchestratorIdentity.Default,
    DispatchClient
  )
  const stores = Layer.mergeAll(
    Registry.Default,
    TaskQueue.Default,
    TaskRunReads.Default,
    PipelineCatalog.Default,
    PipelineReads.Default
  )
  const engine = Layer.mergeAll(PipelineEngine.Default, DryRun.Default)
  const workflows = Layer.mergeAll(
    Submissions.Default,
    Callbacks.Default,
    Idempotency.Default,
    Dispatcher.Default,
    DeadLetters.Default,
    Monitor.Default
  )
  return Scheduler.Default.pipe(
    Layer.provideMerge(workflows),
    Layer.provideMerge(RunResults.Default),
    Layer.provideMerge(engine),
    Layer.provideMerge(stores),
    Layer.provideMerge(infrastructure)
  )
}

/** The HTTP API with its handlers, OpenAPI at `/openapi.json` and Swagger UI at `/docs`. */
export const api = HttpApiBuilder.api(OrchestratorApi).pipe(
  Layer.provide([HealthHttp, WorkerHttp, ServicesHttp, QueueHttp, PipelinesHttp, DlqHttp, StorageHttp, ProcessHttp]),
  Layer.provide([WorkerAuthLive, ManagementAuthLive])
)

/** Serves the API (plus docs and CORS for the monitoring site) on top of `services`. */
export const http = HttpApiBuilder.serve().pipe(
  Layer.provide(jsonErrors),
  Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
  Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
  Layer.provide(HttpApiBuilder.middlewareCors()),
  Layer.provide(api)
)

/** The whole orchestrator listening on `PORT`. */
export const server = (settings: Config.OrchestratorSettings) =>
  http.pipe(
    HttpServer.withLogAddress,
    Layer.provide(NodeHttpServer.layer(createServer, { port: settings.port, host: settings.host })),
    Layer.provide(services(settings))
  )
