import { createServer } from "node:http"
import { HttpApiBuilder, HttpMiddleware, HttpServer } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { loggerLayer } from "@pipeweave/domain/LogSettings"
import { tracingLayer } from "@pipeweave/domain/OtlpTracing"
import { serverSpans } from "@pipeweave/domain/TraceContext"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Duration, Effect, Layer } from "effect"
import * as Config from "./Config.js"
import * as Database from "./Database.js"
import { ManagementAuthLive, WorkerAuthLive } from "./http/Auth.js"
import { httpMetrics } from "./http/HttpMetrics.js"
import { jsonErrors } from "./http/JsonErrors.js"
import { MetricsHttp } from "./http/MetricsHttp.js"
import { requestGuards } from "./http/RequestGuards.js"
import { DocsHttp } from "./http/DocsHttp.js"
import { logAddresses, SiteHttp } from "./http/SiteHttp.js"
import { requestIds } from "./http/RequestIds.js"
import { callbackGroupLane } from "./http/CallbackGroupLane.js"
import { callbackLane } from "./http/CallbackLane.js"
import { submitLane } from "./http/SubmitLane.js"
import { QueueHttp } from "./http/QueueHttp.js"
import { ServicesHttp } from "./http/ServicesHttp.js"
import { StorageHttp } from "./http/StorageHttp.js"
import { HealthHttp, ProcessHttp } from "./http/SystemHttp.js"
import { WorkerHttp } from "./http/WorkerHttp.js"
import { CallbacksHttp } from "./http/CallbacksHttp.js"
import { CallbackGroups } from "./flow/CallbackGroups.js"
import { Callbacks } from "./flow/Callbacks.js"
import { CompletionBatches } from "./flow/CompletionBatches.js"
import { Cancellations } from "./flow/Cancellations.js"
import { DeadLetters } from "./flow/DeadLetters.js"
import { DeadlineSweep } from "./flow/DeadlineSweep.js"
import { DispatchedRuns } from "./flow/DispatchedRuns.js"
import { Dispatcher } from "./flow/Dispatcher.js"
import { RunTokens } from "./flow/RunTokens.js"
import { DryRun } from "./flow/DryRun.js"
import { Idempotency } from "./flow/Idempotency.js"
import { InlineClaims } from "./flow/InlineClaims.js"
import { PipelineCatalog } from "./flow/PipelineCatalog.js"
import { PipelineRouting } from "./flow/PipelineRouting.js"
import { PipelineTrigger } from "./flow/PipelineTrigger.js"
import { Registrations } from "./flow/Registrations.js"
import { ServiceLiveness } from "./flow/ServiceLiveness.js"
import { RunResults } from "./flow/RunResults.js"
import { ParkedRuns } from "./flow/ParkedRuns.js"
import { SchedulingPass } from "./flow/SchedulingPass.js"
import { RoutingStates } from "./flow/RoutingStates.js"
import { StructureCache } from "./flow/StructureCache.js"
import { Submissions } from "./flow/Submissions.js"
import { Wakeups } from "./flow/Wakeups.js"
import { DlqHttp } from "./http/DlqHttp.js"
import { PipelinesHttp } from "./http/PipelinesHttp.js"
import { afterListening, Listening } from "./Listening.js"
import { OrchestratorMetrics } from "./metrics/OrchestratorMetrics.js"
import { makeRouteLabels } from "./metrics/RouteLabels.js"
import { OrchestratorIdentity } from "./OrchestratorIdentity.js"
import { EmbeddedStatistics } from "./scheduler/EmbeddedStatistics.js"
import { MonitorLoop } from "./scheduler/MonitorLoop.js"
import { SchedulerLoop } from "./scheduler/SchedulerLoop.js"
import { DeadLetterStore } from "./store/DeadLetterStore.js"
import { IdempotencyKeys } from "./store/IdempotencyKeys.js"
import { PipelineRunReads } from "./store/PipelineRunReads.js"
import { PipelineRuns } from "./store/PipelineRuns.js"
import { Registry } from "./store/Registry.js"
import { RunSlots } from "./flow/RunSlots.js"
import { RunCounts } from "./store/RunCounts.js"
import { TableStatistics } from "./store/TableStatistics.js"
import { TaskRunReads } from "./store/TaskRunReads.js"
import { TaskRuns } from "./store/TaskRuns.js"
import { Transactions } from "./store/Transactions.js"
import { resolveSecret } from "./Secret.js"
import { storageLayer } from "./StorageSettings.js"

/** The client of dispatches to workers, and its kept-alive agents (single dispatches use them directly). */
const DispatchClient = NodeHttpClient.layerWithoutAgent.pipe(
  Layer.provideMerge(NodeHttpClient.makeAgentLayer({ keepAlive: true, maxSockets: 512 }))
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
    Listening.Default,
    OrchestratorMetrics.Default,
    DispatchClient
  )
  const stores = Layer.mergeAll(
    TaskRuns.Default,
    TaskRunReads.Default,
    PipelineRuns.Default,
    PipelineRunReads.Default,
    Registry.Default,
    DeadLetterStore.Default,
    IdempotencyKeys.Default,
    RunCounts.Default,
    TableStatistics.Default,
    Transactions.Default
  )
  const state = Layer.mergeAll(
    Wakeups.Default,
    InlineClaims.Default,
    DispatchedRuns.Default,
    StructureCache.Default,
    RoutingStates.Default,
    RunTokens.Default
  )
  const useCases = Layer.mergeAll(
    Submissions.Default,
    PipelineTrigger.Default,
    DryRun.Default,
    Callbacks.Default,
    Idempotency.Default,
    DeadLetters.Default,
    Cancellations.Default,
    Registrations.Default,
    DeadlineSweep.Default,
    SchedulingPass.Default
  ).pipe(Layer.provideMerge(ParkedRuns.Default), Layer.provideMerge(Dispatcher.Default), Layer.provideMerge(ServiceLiveness.Default))
  const loops = settings.mode === "standalone" ? Layer.mergeAll(SchedulerLoop, MonitorLoop, EmbeddedStatistics) : Layer.empty
  return loops.pipe(
    Layer.provideMerge(CallbackGroups.Default),
    Layer.provideMerge(useCases),
    Layer.provideMerge(RunResults.Default),
    Layer.provideMerge(CompletionBatches.Default),
    Layer.provideMerge(Layer.mergeAll(PipelineRouting.Default, PipelineCatalog.Default)),
    Layer.provideMerge(RunSlots.Default),
    Layer.provideMerge(state),
    Layer.provideMerge(stores),
    Layer.provideMerge(infrastructure)
  )
}

/** The HTTP API with its handlers, OpenAPI at `/openapi.json` and Swagger UI at `/docs`. */
export const api = HttpApiBuilder.api(OrchestratorApi).pipe(
  Layer.provide([HealthHttp, WorkerHttp, CallbacksHttp, ServicesHttp, QueueHttp, PipelinesHttp, DlqHttp, StorageHttp, ProcessHttp, MetricsHttp]),
  Layer.provide([WorkerAuthLive, ManagementAuthLive])
)

/** Opens `Listening` once the HTTP server is bound. */
const openWhenListening = Layer.effectDiscard(
  Effect.zipRight(HttpServer.HttpServer, Effect.flatMap(Listening, (listening) => listening.open))
)

/** A server span per request, named after its route; health checks and scrapes are not traced. */
const requestSpans = serverSpans({ routeOf: makeRouteLabels(), untraced: ["/health", "/metrics"] })

/**
 * The API's handlers, docs, monitoring site and request guards, in the order their middleware
 * applies. `server` builds them before the server binds (layers are shared, so `http` reuses
 * them): built after, they kept the first requests waiting ~75 ms on a listening socket.
 */
const routes = jsonErrors.pipe(
  Layer.provide(requestGuards),
  Layer.provide(DocsHttp),
  Layer.provide(SiteHttp),
  Layer.provideMerge(api)
)

/**
 * Serves the API (plus docs and the monitoring site at `/ui/`) behind the request guards (CORS as configured, JSON bodies, size
 * limit) on top of `services`, with `requestSpans` in place of the platform's own spans.
 */
export const http = HttpApiBuilder.serve((app) =>
  submitLane(callbackGroupLane(callbackLane(requestSpans(httpMetrics(requestIds(app))))))).pipe(
  HttpMiddleware.withTracerDisabledWhen(() => true),
  Layer.merge(openWhenListening),
  Layer.provide(routes)
)

/**
 * The whole orchestrator listening on `PORT` (and `HOST`), saying at start how exposed it is;
 * `serving` runs once it has been listening for a second.
 */
export const server = (settings: Config.OrchestratorSettings, serving: Effect.Effect<void> = Effect.void) =>
  http.pipe(
    Layer.merge(logAddresses),
    Layer.merge(afterListening(Duration.seconds(1), serving)),
    Layer.provide(NodeHttpServer.layer(createServer, { port: settings.port, host: settings.host })),
    Layer.provide(routes),
    Layer.merge(Layer.effectDiscard(Effect.forEach(settings.startupWarnings, (line) => Effect.logWarning(line)))),
    Layer.provide(services(settings))
  )

/**
 * Runs `server` until interrupted (and `serving` once it has been listening a second), writing its
 * logs in `LOG_FORMAT` at `LOG_LEVEL` and exporting its spans when `OTEL_EXPORTER_OTLP_ENDPOINT` is
 * set, with a line when it stops (start-up failures are left to the caller).
 */
export const launch = (settings: Config.OrchestratorSettings, serving: Effect.Effect<void> = Effect.void) =>
  Layer.launch(server(settings, serving).pipe(Layer.provide(tracingLayer(settings.tracing, "pipeweave-orchestrator")))).pipe(
    Effect.onInterrupt(() => Effect.logInfo("orchestrator stopped")),
    Effect.provide(loggerLayer(settings.log))
  )
