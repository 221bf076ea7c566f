import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Option, Tracer } from "effect"

/**
 * W3C Trace Context (`traceparent`) as PipeWeave carries it: in the `traceparent` HTTP header of
 * dispatches, callbacks and every other worker ↔ orchestrator call, and in the `traceparent`
 * column of a queued run. Values are parsed strictly; anything else is ignored (a new trace).
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const ZERO_TRACE_ID = "0".repeat(32)
const ZERO_SPAN_ID = "0".repeat(16)

/**
 * The span a W3C `traceparent` names (version `00`, lower-case hex, non-zero ids), or `None` for
 * anything else: a missing, malformed, over-long or hostile value starts a new trace.
 */
export const parseTraceparent = (value: unknown): Option.Option<Tracer.ExternalSpan> => {
  if (typeof value !== "string" || value.length !== 55) return Option.none()
  const match = TRACEPARENT.exec(value)
  if (match === null) return Option.none()
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string]
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return Option.none()
  return Option.some(Tracer.externalSpan({ traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 }))
}

/** `span` as a W3C `traceparent` value. */
export const formatTraceparent = (span: Tracer.AnySpan): string =>
  `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/** Effect's own tracer, in place while no exporter (OTLP, an OpenTelemetry SDK) is installed. */
const builtInTracer = Effect.runSync(Effect.tracer)

/** Whether spans made with `tracer` go anywhere: it is not Effect's built-in one. */
export const exportsSpans = (tracer: Tracer.Tracer): boolean => tracer !== builtInTracer

/** Whether spans go anywhere: a tracer other than Effect's built-in one is installed. */
export const tracingEnabled: Effect.Effect<boolean> = Effect.map(Effect.tracer, exportsSpans)

/** `effect` with tracing switched back on where a caller switched it off, when spans go anywhere. */
export const withTracingRestored = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(tracingEnabled, (enabled) => enabled ? Effect.withTracerEnabled(effect, true) : effect)

/**
 * The current span as a `traceparent`, to store with something that continues later (a queued
 * run); `null` when tracing is off, so nothing is written then.
 */
export const currentTraceparent: Effect.Effect<string | null> = Effect.flatMap(tracingEnabled, (enabled) =>
  enabled ? Effect.map(Effect.serviceOption(Tracer.ParentSpan), traceparentOf) : Effect.succeed(null))

/** `span` as a `traceparent`, where tracing is on; `null` for none, or one of a fiber that runs untraced (it has no real ids). */
export const traceparentOf = (span: Option.Option<Tracer.AnySpan>): string | null => {
  if (Option.isNone(span)) return null
  const traceparent = formatTraceparent(span.value)
  return Option.isSome(parseTraceparent(traceparent)) ? traceparent : null
}

/** What `serverSpans` needs to know about the routes it serves. */
export interface ServerSpanOptions {
  /** The route pattern a request matched (`/api/callback/:runId`), for the span name; default the path. */
  readonly routeOf?: ((method: string, path: string) => string) | undefined
  /** Paths served without spans (health checks, scrapes). */
  readonly untraced?: ReadonlyArray<string> | undefined
}

/**
 * One `server` span per request, `http.server METHOD /route`, joining the trace of a valid
 * `traceparent` header (and only that: B3 headers and malformed values are ignored). It records
 * the method, path (never the query) and status, no headers. Use it in place of the platform's
 * span middleware, switched off with `withoutPlatformServerSpans`.
 */
export const serverSpans = (options: ServerSpanOptions = {}) =>
  HttpMiddleware.make((app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
      const path = request.url.split("?", 1)[0] ?? ""
      if (options.untraced?.includes(path)) return Effect.withTracerEnabled(app, false)
      const parent = parseTraceparent(request.headers["traceparent"])
      const route = options.routeOf?.(request.method, path) ?? path
      return Effect.useSpan(
        `http.server ${request.method} ${route}`,
        {
          kind: "server",
          captureStackTrace: false,
          ...(Option.isSome(parent) ? { parent: parent.value } : { root: true }),
          attributes: { "http.request.method": request.method, "url.path": path, "http.route": route }
        },
        (span) =>
          Effect.withParentSpan(app, span).pipe(
            Effect.tap((response) => span.attribute("http.response.status_code", response.status))
          )
      )
    })
  )

/**
 * Switches off `@effect/platform`'s own server spans for the servers `self` starts: they accept
 * B3 headers unchecked and copy request headers into span attributes.
 */
export const withoutPlatformServerSpans = HttpMiddleware.withTracerDisabledWhenEffect(() => true)
