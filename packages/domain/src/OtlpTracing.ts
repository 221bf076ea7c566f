import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { Duration, Effect, Either, Layer, Option } from "effect"
import { isHttpUrl } from "./HttpUrl.js"

/** Where and how spans are exported over OTLP/HTTP, read from the standard `OTEL_*` variables. */
export interface OtlpTracingSettings {
  /** The traces URL: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`. */
  readonly url: string
  readonly protocol: "http/json" | "http/protobuf"
  /** `OTEL_EXPORTER_OTLP_HEADERS` (`key=value,key2=value2`, values URL-encoded). */
  readonly headers: Readonly<Record<string, string>>
  /** `OTEL_SERVICE_NAME`, else the caller's default. */
  readonly serviceName: string | undefined
  /** `OTEL_BSP_SCHEDULE_DELAY`: how often buffered spans are sent (default 5000 ms). */
  readonly exportIntervalMs: number
}

type Env = Readonly<Record<string, string | undefined>>

const parseHeaders = (text: string): Either.Either<Record<string, string>, string> => {
  const headers: Record<string, string> = {}
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue
    const at = pair.indexOf("=")
    const key = at < 0 ? "" : pair.slice(0, at).trim()
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(key)) {
      return Either.left(`OTEL_EXPORTER_OTLP_HEADERS must be key=value pairs separated by commas (got a pair without a valid key)`)
    }
    try {
      headers[key.toLowerCase()] = decodeURIComponent(pair.slice(at + 1).trim())
    } catch {
      return Either.left(`OTEL_EXPORTER_OTLP_HEADERS: the value of '${key}' is not valid URL encoding`)
    }
  }
  return Either.right(headers)
}

/**
 * Tracing settings from the environment: `None` (no export, nothing loaded) unless
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, or when
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. Every problem is reported, one sentence each.
 */
export const parseOtlpTracing = (env: Env): Either.Either<Option.Option<OtlpTracingSettings>, ReadonlyArray<string>> => {
  const read = (name: string) => env[name]?.trim() ?? ""
  const base = read("OTEL_EXPORTER_OTLP_ENDPOINT")
  const traces = read("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
  if (base === "" && traces === "") return Either.right(Option.none())
  if (read("OTEL_SDK_DISABLED").toLowerCase() === "true") return Either.right(Option.none())
  if (read("OTEL_TRACES_EXPORTER").toLowerCase() === "none") return Either.right(Option.none())
  const problems: Array<string> = []
  const url = traces !== "" ? traces : `${base.replace(/\/+$/, "")}/v1/traces`
  if (!isHttpUrl(url)) {
    const name = traces !== "" ? "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" : "OTEL_EXPORTER_OTLP_ENDPOINT"
    problems.push(`${name} must be an http(s) URL such as http://localhost:4318 (got "${traces || base}")`)
  }
  const protocolText = read("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") || read("OTEL_EXPORTER_OTLP_PROTOCOL") || "http/json"
  if (protocolText !== "http/json" && protocolText !== "http/protobuf") {
    problems.push(`OTEL_EXPORTER_OTLP_PROTOCOL must be "http/json" or "http/protobuf" (gRPC is not supported; got "${protocolText}")`)
  }
  const headers = parseHeaders(read("OTEL_EXPORTER_OTLP_TRACES_HEADERS") || read("OTEL_EXPORTER_OTLP_HEADERS"))
  if (Either.isLeft(headers)) problems.push(headers.left)
  const delayText = read("OTEL_BSP_SCHEDULE_DELAY")
  const exportIntervalMs = delayText === "" ? 5000 : Number(delayText)
  if (!Number.isInteger(exportIntervalMs) || exportIntervalMs < 1 || exportIntervalMs > 3_600_000) {
    problems.push(`OTEL_BSP_SCHEDULE_DELAY must be a whole number of milliseconds from 1 to 3600000 (got "${delayText}")`)
  }
  if (problems.length > 0 || Either.isLeft(headers)) return Either.left(problems)
  const serviceName = read("OTEL_SERVICE_NAME")
  return Either.right(Option.some({
    url,
    protocol: protocolText as OtlpTracingSettings["protocol"],
    headers: headers.right,
    serviceName: serviceName === "" ? undefined : serviceName,
    exportIntervalMs
  }))
}

/**
 * Exports every span over OTLP/HTTP with `@effect/opentelemetry`'s OTLP tracer (JSON or
 * protobuf; no OpenTelemetry SDK). The module is imported only when this layer is built, so
 * processes without tracing never load it. Spans still buffered are sent when the layer is
 * released (within 3 s). `OTEL_RESOURCE_ATTRIBUTES` adds resource attributes.
 */
export const otlpTracingLayer = (settings: OtlpTracingSettings, defaultServiceName: string): Layer.Layer<never> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const [OtlpTracer, OtlpSerialization] = yield* Effect.promise(() =>
      Promise.all([import("@effect/opentelemetry/OtlpTracer"), import("@effect/opentelemetry/OtlpSerialization")])
    )
    return OtlpTracer.layer({
      url: settings.url,
      headers: settings.headers,
      exportInterval: Duration.millis(settings.exportIntervalMs),
      resource: { serviceName: settings.serviceName ?? defaultServiceName }
    }).pipe(
      Layer.provide(settings.protocol === "http/json" ? OtlpSerialization.layerJson : OtlpSerialization.layerProtobuf),
      Layer.provide(FetchHttpClient.layer)
    )
  }))

/**
 * `otlpTracingLayer` when `settings` is set; else tracing switched off, so that no span is made
 * where nothing would read it.
 */
export const tracingLayer = (settings: Option.Option<OtlpTracingSettings>, defaultServiceName: string): Layer.Layer<never> =>
  Option.match(settings, { onNone: () => Layer.setTracerEnabled(false), onSome: (s) => otlpTracingLayer(s, defaultServiceName) })
