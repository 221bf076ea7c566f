import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Option, Tracer } from "effect"
import { parseOtlpTracing } from "../src/OtlpTracing.js"
import { currentTraceparent, formatTraceparent, parseTraceparent } from "../src/TraceContext.js"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const SPAN_ID = "00f067aa0ba902b7"

describe("parseTraceparent", () => {
  it("reads a W3C traceparent, sampled or not", () => {
    const sampled = Option.getOrThrow(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-01`))
    assert.deepStrictEqual([sampled.traceId, sampled.spanId, sampled.sampled], [TRACE_ID, SPAN_ID, true])
    assert.isFalse(Option.getOrThrow(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)).sampled)
    assert.strictEqual(formatTraceparent(sampled), `00-${TRACE_ID}-${SPAN_ID}-01`)
  })

  it("ignores anything else: malformed, upper-case, zero ids, other versions, extra fields, huge or non-string values", () => {
    const hostile: ReadonlyArray<unknown> = [
      undefined,
      null,
      42,
      ["00", TRACE_ID],
      "",
      "garbage",
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`,
      `00-${"0".repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `01-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-zz`,
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
      `00-${TRACE_ID}-${SPAN_ID}-1`,
      ` 00-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}\n-01`,
      `00-${TRACE_ID.slice(0, 31)}g-${SPAN_ID}-01`,
      "00-" + "a".repeat(100_000),
      `00-${TRACE_ID}-${SPAN_ID}-01`.replace("-", "‐")
    ]
    for (const value of hostile) assert.isTrue(Option.isNone(parseTraceparent(value)), JSON.stringify(value)?.slice(0, 80))
  })
})

describe("currentTraceparent", () => {
  it.effect("is null while no tracer is installed, the current span once one is", () =>
    Effect.gen(function*() {
      assert.isNull(yield* currentTraceparent.pipe(Effect.withSpan("untraced")))
      const spans: Array<string> = []
      const recording = Tracer.make({
        span: (name, parent, context, links, startTime, kind) => {
          spans.push(name)
          return {
            _tag: "Span",
            name,
            spanId: "1".repeat(16),
            traceId: TRACE_ID,
            parent,
            context,
            status: { _tag: "Started", startTime },
            attributes: new Map(),
            links,
            sampled: true,
            kind,
            end: () => {},
            attribute: () => {},
            event: () => {},
            addLinks: () => {}
          }
        },
        context: (f) => f()
      })
      const traced = yield* currentTraceparent.pipe(Effect.withSpan("queued"), Effect.withTracer(recording))
      assert.strictEqual(traced, `00-${TRACE_ID}-${"1".repeat(16)}-01`)
      assert.deepStrictEqual(spans, ["queued"])
    }))
})

describe("parseOtlpTracing", () => {
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }

  it("is off without an endpoint, or when the SDK or the traces exporter is disabled", () => {
    assert.deepStrictEqual(parseOtlpTracing({}), Either.right(Option.none()))
    assert.deepStrictEqual(parseOtlpTracing({ ...base, OTEL_SDK_DISABLED: "true" }), Either.right(Option.none()))
    assert.deepStrictEqual(parseOtlpTracing({ ...base, OTEL_TRACES_EXPORTER: "none" }), Either.right(Option.none()))
  })

  it("reads the endpoint (+ /v1/traces), protocol, headers, service name and export delay", () => {
    const settings = Either.getOrThrow(parseOtlpTracing({
      ...base,
      OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20abc, x-tenant=7",
      OTEL_SERVICE_NAME: "orders",
      OTEL_BSP_SCHEDULE_DELAY: "200"
    }))
    assert.deepStrictEqual(Option.getOrThrow(settings), {
      url: "http://collector:4318/v1/traces",
      protocol: "http/json",
      headers: { authorization: "Bearer abc", "x-tenant": "7" },
      serviceName: "orders",
      exportIntervalMs: 200
    })
    const explicit = Either.getOrThrow(parseOtlpTracing({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://otlp.example/api/traces",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf"
    }))
    assert.strictEqual(Option.getOrThrow(explicit).url, "https://otlp.example/api/traces")
    assert.strictEqual(Option.getOrThrow(explicit).protocol, "http/protobuf")
  })

  it("reports every unusable value", () => {
    const problems = parseOtlpTracing({
      OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
      OTEL_EXPORTER_OTLP_PROTOCOL: "grpc",
      OTEL_EXPORTER_OTLP_HEADERS: "=nokey",
      OTEL_BSP_SCHEDULE_DELAY: "soon"
    })
    assert.isTrue(Either.isLeft(problems))
    const text = Either.isLeft(problems) ? problems.left.join("\n") : ""
    for (const name of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_BSP_SCHEDULE_DELAY"]) {
      assert.include(text, name)
    }
  })
})
