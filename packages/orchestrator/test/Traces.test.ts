import { createServer } from "node:http"
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Worker } from "@pipeweave/sdk/effect"
import { Context, Effect, Layer, Schedule } from "effect"
import { http, services } from "../src/Orchestrator.js"
import { api, awaitRun } from "./support/InProcess.js"
import { freePort } from "./support/Processes.js"
import { databases } from "./support/TestDatabase.js"
import { databaseSnapshot, TEST_SECRET, testSettings } from "./support/TestOrchestrator.js"

/**
 * Every span of both sides, kept in memory by the OpenTelemetry SDK as soon as it ends. A new one
 * for each test: the SDK shuts its exporter down with the test's scope.
 */
let exporter = new InMemorySpanExporter()
const tracing = (serviceName: string) =>
  NodeSdk.layer(() => ({ resource: { serviceName }, spanProcessor: new SimpleSpanProcessor(exporter) }))

const serviceOf = (span: ReadableSpan) => String(span.resource.attributes["service.name"])
const traceOf = (span: ReadableSpan) => span.spanContext().traceId
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const spans = () => exporter.getFinishedSpans()
const hrNanos = ([seconds, nanos]: readonly [number, number]) => BigInt(seconds) * 1_000_000_000n + BigInt(nanos)
const named = (name: string, attribute?: readonly [string, string]) =>
  spans().filter((s) => s.name === name && (attribute === undefined || s.attributes[attribute[0]] === attribute[1]))
const one = (name: string, attribute?: readonly [string, string]) => {
  const found = named(name, attribute)
  assert.strictEqual(found.length, 1, `${name} ${attribute?.join("=") ?? ""}: ${found.length} spans`)
  return found[0]!
}
const byId = (spanId: string | undefined) => spans().find((s) => s.spanContext().spanId === spanId)
const ancestorsOf = (span: ReadableSpan): Array<string> => {
  const names: Array<string> = []
  for (let at = byId(parentOf(span)); at !== undefined; at = byId(parentOf(at))) names.push(at.name)
  return names
}

/** Waits (real time) until `name` has ended `count` times for the attribute. */
const awaitSpans = (name: string, attribute: readonly [string, string], count = 1) =>
  Effect.sync(() => named(name, attribute)).pipe(
    Effect.filterOrFail((found) => found.length >= count, () =>
      new Error(`no ${name} span for ${attribute.join("=")}; spans: ${[...new Set(spans().map((s) => s.name))].join(", ")}`)),
    Effect.retry(Schedule.spaced("25 millis").pipe(Schedule.upTo("30 seconds"))),
    Effect.orDie
  )

/** The orchestrator (standalone, real port) exporting as `pipeweave-orchestrator`. */
const tracedOrchestrator = (database: Parameters<typeof services>[1]) =>
  Effect.gen(function*() {
    const settings = testSettings({ mode: "standalone", pollIntervalMs: 200 })
    const context = yield* Layer.build(
      http.pipe(
        Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
        Layer.provideMerge(services(settings, database)),
        Layer.provide(tracing("pipeweave-orchestrator"))
      )
    )
    const address = Context.get(context, HttpServer.HttpServer).address
    return { url: address._tag === "TcpAddress" ? `http://127.0.0.1:${address.port}` : "", context }
  })

/** An Effect SDK worker (real port) exporting as `traced-worker`. */
const tracedWorker = (orchestratorUrl: string) =>
  Effect.gen(function*() {
    const port = yield* freePort
    const worker = Worker.make({
      orchestratorUrl,
      serviceId: "traced-worker",
      secretKey: TEST_SECRET,
      baseUrl: `http://127.0.0.1:${port}`,
      silent: true,
      handleSignals: false
    })
      .register("tr-echo", (ctx) => Effect.succeed({ echoed: ctx.input }))
      .register("tr-a", { allowedNext: ["tr-b"] }, () => Effect.succeed({ step: "a" }))
      .register("tr-b", {}, (ctx) => Effect.succeed({ step: "b", after: Object.keys(ctx.upstream) }))
      .pipeline("tr-pipe", { entry: ["tr-a"] })
    yield* Layer.build(Worker.layer(worker, { port, host: "127.0.0.1" }).pipe(Layer.provide(tracing("traced-worker"))))
    return `http://127.0.0.1:${port}`
  })

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const HOSTILE_HEADERS: ReadonlyArray<Record<string, string>> = [
  { traceparent: "garbage" },
  { traceparent: `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01` },
  { traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` },
  { traceparent: `ff-${TRACE_ID}-00f067aa0ba902b7-01` },
  { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01-extra` },
  { traceparent: `00-${"a".repeat(8000)}` },
  { b3: "not-a-trace-id-1" },
  { "x-b3-traceid": "<script>", "x-b3-spanid": "x" }
]

for (const [name, database] of databases) {
  describe(`traces (${name})`, () => {
    it.live("a task run is one trace across the orchestrator and the worker; a pipeline run's tasks share its trace", () =>
      Effect.gen(function*() {
        exporter = new InMemorySpanExporter()
        const { url } = yield* tracedOrchestrator(database())
        yield* tracedWorker(url)

        const { runId } = yield* api<{ runId: string }>(url, "/api/queue/task", { taskId: "tr-echo", input: { n: 1 } })
        yield* api(url, `/api/task-runs/${runId}`).pipe(
          Effect.filterOrFail((run: any) => run.status === "completed"),
          Effect.retry(Schedule.spaced("25 millis").pipe(Schedule.upTo("60 seconds"))),
          Effect.orDie
        )
        // The dispatch span ends when the worker's answer has been read, which comes after its
        // callback was answered: under load it can end after the callback's server span.
        yield* awaitSpans("http.server POST /api/callback/:runId", ["url.path", `/api/callback/${runId}`])
        yield* awaitSpans("Dispatcher.dispatch", ["pipeweave.run.id", runId])
        yield* awaitSpans("Worker.executeDispatch", ["pipeweave.run.id", runId])
        yield* awaitSpans("http.server POST /tasks/tr-echo", ["url.path", "/tasks/tr-echo"])

        const submit = one("http.server POST /api/queue/task")
        const trace = traceOf(submit)
        const dispatch = one("Dispatcher.dispatch", ["pipeweave.run.id", runId])
        const execute = one("Worker.executeDispatch", ["pipeweave.run.id", runId])
        const workerRequest = one("http.server POST /tasks/tr-echo")
        const callback = one("http.server POST /api/callback/:runId", ["url.path", `/api/callback/${runId}`])
        for (const span of [dispatch, execute, workerRequest, callback]) assert.strictEqual(traceOf(span), trace, span.name)
        assert.strictEqual(serviceOf(dispatch), "pipeweave-orchestrator")
        assert.strictEqual(serviceOf(execute), "traced-worker")

        // enqueue → claim → dispatch: both are children of the insert that queued the run, in the submission.
        const claim = one("TaskRuns.claim", ["pipeweave.run.id", runId])
        assert.strictEqual(byId(parentOf(claim))?.name, "TaskRuns.insert")
        assert.strictEqual(parentOf(dispatch), parentOf(claim))
        assert.isTrue(hrNanos(claim.endTime) <= hrNanos(dispatch.startTime), "the claim ends before the dispatch starts")
        // Only our server spans: the platform's (named without a route) are switched off on both sides.
        assert.deepStrictEqual(spans().filter((s) => /^http\.server [A-Z]+$/.test(s.name)), [])
        // The scheduling and monitor loops run untraced: no pass of theirs is exported.
        assert.deepStrictEqual(named("SchedulingPass.pass"), [])
        assert.deepStrictEqual(named("DeadlineSweep.sweep"), [])
        // dispatch → worker: the worker's request span is a child of the orchestrator's HTTP client span.
        const dispatchRequest = byId(parentOf(workerRequest))!
        assert.strictEqual(serviceOf(dispatchRequest), "pipeweave-orchestrator")
        assert.strictEqual(parentOf(dispatchRequest), dispatch.spanContext().spanId)
        assert.strictEqual(parentOf(execute), workerRequest.spanContext().spanId)
        for (const step of ["Worker.hydrate", "Worker.handler", "Worker.upload", "Worker.deliverCallback"]) {
          const span = named(step).find((s) => traceOf(s) === trace)
          assert.isDefined(span, step)
          assert.include(ancestorsOf(span!), "Worker.executeDispatch", step)
        }
        // worker → callback: the orchestrator's callback span is a child of the worker's HTTP client span.
        const callbackRequest = byId(parentOf(callback))!
        assert.strictEqual(serviceOf(callbackRequest), "traced-worker")
        assert.strictEqual(byId(parentOf(callbackRequest))?.name, "Worker.deliverCallback")

        const { pipelineRunId } = yield* api<{ pipelineRunId: string }>(url, "/api/pipelines/tr-pipe/trigger", { input: {} })
        assert.strictEqual((yield* awaitRun(url, pipelineRunId)).status, "completed")
        yield* awaitSpans("Dispatcher.dispatch", ["pipeweave.pipeline_run.id", pipelineRunId], 2)
        yield* awaitSpans("TaskRuns.claim", ["pipeweave.pipeline_run.id", pipelineRunId], 2)
        yield* awaitSpans("Worker.executeDispatch", ["pipeweave.pipeline_run.id", pipelineRunId], 2)
        const trigger = one("http.server POST /api/pipelines/:id/trigger")
        const pipelineTrace = traceOf(trigger)
        assert.notStrictEqual(pipelineTrace, trace)
        const pipelineSpans = [
          ...named("TaskRuns.claim", ["pipeweave.pipeline_run.id", pipelineRunId]),
          ...named("Dispatcher.dispatch", ["pipeweave.pipeline_run.id", pipelineRunId]),
          ...named("Worker.executeDispatch", ["pipeweave.pipeline_run.id", pipelineRunId])
        ]
        assert.deepStrictEqual(
          pipelineSpans.map((s) => [s.name, s.attributes["pipeweave.task.id"], traceOf(s)]).sort(),
          [
            ["Dispatcher.dispatch", "tr-a", pipelineTrace],
            ["Dispatcher.dispatch", "tr-b", pipelineTrace],
            ["TaskRuns.claim", "tr-a", pipelineTrace],
            ["TaskRuns.claim", "tr-b", pipelineTrace],
            ["Worker.executeDispatch", "tr-a", pipelineTrace],
            ["Worker.executeDispatch", "tr-b", pipelineTrace]
          ]
        )
        // callback → completion, routing and claim of successors (one statement, planned on the
        // routing this orchestrator saw at the trigger), in the pipeline's trace.
        assert.isTrue(
          named("TaskRuns.completePlanned", ["pipeweave.routing.started", "tr-b"]).some((s) => traceOf(s) === pipelineTrace)
        )
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("runs dispatched in one group each continue their own trace on the worker", () =>
      Effect.gen(function*() {
        exporter = new InMemorySpanExporter()
        const { url } = yield* tracedOrchestrator(database())
        yield* tracedWorker(url)
        // One statement queues them, so one scheduling pass claims them all: one grouped dispatch.
        const { results } = yield* api<{ results: ReadonlyArray<{ runId: string }> }>(url, "/api/queue/batch", {
          tasks: [1, 2, 3, 4].map((n) => ({ taskId: "tr-echo", input: { n } }))
        })
        const runIds = results.map((r) => r.runId)
        for (const runId of runIds) {
          yield* api(url, `/api/task-runs/${runId}`).pipe(
            Effect.filterOrFail((run: any) => run.status === "completed"),
            Effect.retry(Schedule.spaced("25 millis").pipe(Schedule.upTo("60 seconds"))),
            Effect.orDie
          )
          yield* awaitSpans("Worker.executeDispatch", ["pipeweave.run.id", runId])
          yield* awaitSpans("Dispatcher.dispatch", ["pipeweave.run.id", runId])
        }
        const metrics = yield* Effect.promise(() => fetch(`${url}/metrics`).then((r) => r.text()))
        assert.include(metrics, `pipeweave_dispatch_requests_total{kind="group"} 1`)
        for (const runId of runIds) {
          const dispatch = one("Dispatcher.dispatch", ["pipeweave.run.id", runId])
          const execute = one("Worker.executeDispatch", ["pipeweave.run.id", runId])
          assert.strictEqual(parentOf(execute), dispatch.spanContext().spanId, runId)
          assert.strictEqual(traceOf(execute), traceOf(dispatch), runId)
          assert.strictEqual(serviceOf(execute), "traced-worker")
        }
        // The group's own request makes no trace of its own on the worker.
        assert.deepStrictEqual(named("http.server POST /dispatches"), [])
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("invalid or hostile trace headers on a dispatch or a callback start a new trace and change nothing", () =>
      Effect.gen(function*() {
        exporter = new InMemorySpanExporter()
        const { context, url } = yield* tracedOrchestrator(database())
        const workerUrl = yield* tracedWorker(url)
        const before = yield* Effect.provide(databaseSnapshot, context)
        const post = (target: string, headers: Record<string, string>, body: string) =>
          Effect.promise(() =>
            fetch(target, { method: "POST", headers: { "content-type": "application/json", ...headers }, body })
              .then(async (response) => ({ status: response.status, body: await response.json() as any }))
          )
        for (const [i, headers] of HOSTILE_HEADERS.entries()) {
          const dispatch = yield* post(`${workerUrl}/tasks/tr-echo`, headers, "{not json")
          assert.strictEqual(dispatch.status, 400, JSON.stringify(headers).slice(0, 80))
          assert.strictEqual(dispatch.body.field, "body")
          const callback = yield* post(`${url}/api/callback/trun_hostile${i}`, headers, JSON.stringify({ status: "success", attempt: 1 }))
          assert.strictEqual(callback.status, 401)
        }
        yield* awaitSpans("http.server POST /api/callback/:runId", ["url.path", `/api/callback/trun_hostile${HOSTILE_HEADERS.length - 1}`])
        const requests = [...named("http.server POST /tasks/tr-echo"), ...named("http.server POST /api/callback/:runId")]
        assert.strictEqual(requests.length, 2 * HOSTILE_HEADERS.length)
        for (const span of requests) {
          assert.isUndefined(span.parentSpanContext, `${span.name} has no parent`)
          assert.match(traceOf(span), /^[0-9a-f]{32}$/)
          assert.notStrictEqual(traceOf(span), TRACE_ID)
        }
        assert.strictEqual(new Set(requests.map(traceOf)).size, requests.length, "a new trace each")
        assert.deepStrictEqual(yield* Effect.provide(databaseSnapshot, context), before)

        // A valid foreign traceparent is joined, and the worker still runs what it is sent afterwards.
        const joined = yield* post(`${workerUrl}/tasks/tr-echo`, { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` }, "{}")
        assert.strictEqual(joined.status, 400)
        assert.isTrue(named("http.server POST /tasks/tr-echo").some((s) => traceOf(s) === TRACE_ID && parentOf(s) === "00f067aa0ba902b7"))
        const { runId } = yield* api<{ runId: string }>(url, "/api/queue/task", { taskId: "tr-echo", input: { n: 2 } })
        yield* awaitSpans("Worker.executeDispatch", ["pipeweave.run.id", runId])
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("each item of a grouped callback continues its own trace from its traceparent; a hostile one stays in the request's", () =>
      Effect.gen(function*() {
        exporter = new InMemorySpanExporter()
        const { context, url } = yield* tracedOrchestrator(database())
        const before = yield* Effect.provide(databaseSnapshot, context)
        const item = (runId: string, traceparent: string) => ({
          runId,
          callbackToken: "not.a.credential",
          traceparent,
          status: "success",
          attempt: 1,
          outputPath: `runs/${runId}/outputs/${runId}.json`,
          outputSize: 2
        })
        const response = yield* Effect.promise(() =>
          fetch(`${url}/api/callbacks`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              callbacks: [
                item("trun_traced01", `00-${TRACE_ID}-00f067aa0ba902b7-01`),
                item("trun_traced02", `00-${"ab".repeat(16)}-${"cd".repeat(8)}-01`),
                item("trun_traced03", `00-${TRACE_ID.toUpperCase()}-00f067aa0ba902b7-01\u0000`)
              ]
            })
          }).then(async (r) => ({ status: r.status, body: await r.json() as any }))
        )
        assert.strictEqual(response.status, 200)
        assert.deepStrictEqual(response.body.results.map((r: any) => r.status), [401, 401, 401])
        yield* awaitSpans("Callbacks.groupItem", ["pipeweave.run.id", "trun_traced03"])
        const first = one("Callbacks.groupItem", ["pipeweave.run.id", "trun_traced01"])
        assert.deepStrictEqual([traceOf(first), parentOf(first)], [TRACE_ID, "00f067aa0ba902b7"])
        const second = one("Callbacks.groupItem", ["pipeweave.run.id", "trun_traced02"])
        assert.deepStrictEqual([traceOf(second), parentOf(second)], ["ab".repeat(16), "cd".repeat(8)])
        const request = one("http.server POST /api/callbacks")
        const hostile = one("Callbacks.groupItem", ["pipeweave.run.id", "trun_traced03"])
        assert.deepStrictEqual([traceOf(hostile), parentOf(hostile)], [traceOf(request), request.spanContext().spanId])
        assert.notStrictEqual(traceOf(request), TRACE_ID)
        assert.deepStrictEqual(yield* Effect.provide(databaseSnapshot, context), before)
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
