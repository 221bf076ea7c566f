import { type HttpApp, HttpServerRequest } from "@effect/platform"
import { Clock, Effect } from "effect"
import { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { makeRouteLabels } from "../metrics/RouteLabels.js"

const KNOWN_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])

let labels: ReturnType<typeof makeRouteLabels> | undefined

/** The route label of a request; the labels are built once, on first use (reflecting the API takes a millisecond). */
const routeOf = (method: string, url: string): string => (labels ??= makeRouteLabels())(method, url)

/** Counts every answered request by method, route pattern and status, and observes its duration. */
export const httpMetrics: <R>(
  app: HttpApp.Default<never, R>
) => HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest | OrchestratorMetrics> = Effect.fnUntraced(
  function*<R>(app: HttpApp.Default<never, R>) {
    const request = yield* HttpServerRequest.HttpServerRequest
    const metrics = yield* OrchestratorMetrics
    const startedNs = yield* Clock.currentTimeNanos
    const response = yield* app
    const method = KNOWN_METHODS.has(request.method) ? request.method : "OTHER"
    const durationMs = Number((yield* Clock.currentTimeNanos) - startedNs) / 1e6
    yield* metrics.httpRequest(method, routeOf(request.method, request.url), response.status, durationMs)
    return response
  })
