import { mkdtempSync } from "node:fs"
import { createServer, type IncomingMessage } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { startWorker } from "../support/Cluster.js"
import { freePort, repoRoot, spawnNode, waitForHttp } from "../support/Processes.js"
import { TEST_SECRET } from "../support/TestOrchestrator.js"

/** A span as an OTLP/HTTP JSON export carries it, with the service that sent it. */
interface ReceivedSpan {
  readonly service: string
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly attributes: Record<string, unknown>
}

const readBody = (request: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let text = ""
    request.setEncoding("utf8")
    request.on("data", (chunk) => (text += chunk))
    request.on("end", () => resolve(text))
    request.on("error", reject)
  })

const valueOf = (value: Record<string, unknown>): unknown =>
  "stringValue" in value ? value["stringValue"] : "intValue" in value ? Number(value["intValue"]) : Object.values(value)[0]

/** A small OTLP/HTTP receiver on 127.0.0.1: `POST /v1/traces` with a JSON body, every span kept. */
const otlpReceiver = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly spans: Array<ReceivedSpan>; readonly contentTypes: Set<string>; readonly close: () => void }>(
    (resume) => {
      const spans: Array<ReceivedSpan> = []
      const contentTypes = new Set<string>()
      const server = createServer((request, response) => {
        void readBody(request).then((text) => {
          contentTypes.add(`${request.method} ${request.url} ${request.headers["content-type"]}`)
          const body = JSON.parse(text) as any
          for (const resourceSpans of body.resourceSpans ?? []) {
            const service = resourceSpans.resource.attributes.find((a: any) => a.key === "service.name")?.value.stringValue
            for (const scope of resourceSpans.scopeSpans ?? []) {
              for (const span of scope.spans ?? []) {
                spans.push({
                  service,
                  traceId: span.traceId,
                  spanId: span.spanId,
                  parentSpanId: span.parentSpanId,
                  name: span.name,
                  attributes: Object.fromEntries(span.attributes.map((a: any) => [a.key, valueOf(a.value)]))
                })
              }
            }
          }
          response.writeHead(200, { "content-type": "application/json" }).end("{}")
        }, () => response.writeHead(400).end())
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, spans, contentTypes, close: () => server.close() }))
      })
    }
  ),
  (receiver) => Effect.sync(receiver.close)
)

const api = <A = any>(url: string, body?: unknown) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, body === undefined ? {} : {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body)
    })
    const json = await response.json()
    if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(json)}`)
    return json as A
  })

describe("traces exported over OTLP/HTTP by real processes", () => {
  it.live("the bundled orchestrator and an SDK worker process send one trace per run, linked parent to child", () =>
    Effect.gen(function*() {
      const receiver = yield* otlpReceiver
      const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100" }
      const port = yield* freePort
      const url = `http://127.0.0.1:${port}`
      const orchestrator = yield* spawnNode([join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")], {
        PORT: String(port),
        HOST: "127.0.0.1",
        MODE: "standalone",
        LOG_FORMAT: "json",
        POLL_INTERVAL_MS: "200",
        PIPEWEAVE_SECRET_KEY: TEST_SECRET,
        PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-traces-")),
        ...otel
      })
      yield* waitForHttp(`${url}/health`, orchestrator)
      const worker = yield* startWorker(url, { ...otel, OTEL_SERVICE_NAME: "traced-e2e-worker" })
      const diagnose = () =>
        `spans: ${receiver.spans.map((s) => `${s.service}:${s.name}`).join(", ")}\n` +
        `orchestrator:\n${orchestrator.output().slice(-3000)}\nworker:\n${worker.proc.output().slice(-3000)}`
      yield* api(`${url}/api/services`).pipe(
        Effect.filterOrFail((services: Array<{ serviceId: string }>) => services.some((s) => s.serviceId === "e2e-worker")),
        Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("90 seconds"))),
        Effect.orDie
      )

      const { runId } = yield* api<{ runId: string }>(`${url}/api/queue/task`, { taskId: "noop", input: { n: 1 } }).pipe(Effect.orDie)
      const spanOf = (service: string, name: string, match: (s: ReceivedSpan) => boolean = () => true) =>
        receiver.spans.find((s) => s.service === service && s.name === name && match(s))
      const forRun = (s: ReceivedSpan) => s.attributes["pipeweave.run.id"] === runId
      const callbackOf = (s: ReceivedSpan) => s.attributes["url.path"] === `/api/callback/${runId}`
      // The dispatch span ends last: the worker answers the dispatch once its callback was delivered.
      const arrived = () =>
        spanOf("pipeweave-orchestrator", "http.server POST /api/callback/:runId", callbackOf) !== undefined &&
        spanOf("pipeweave-orchestrator", "Dispatcher.dispatch", forRun) !== undefined &&
        spanOf("traced-e2e-worker", "Worker.executeDispatch", forRun) !== undefined
      yield* Effect.sync(arrived).pipe(
        Effect.filterOrFail((all) => all),
        Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("90 seconds"))),
        Effect.catchAll(() => Effect.dieMessage(`no callback span arrived\n${diagnose()}`))
      )

      assert.deepStrictEqual([...receiver.contentTypes].every((c) => c === "POST /v1/traces application/json"), true)
      const byId = (spanId: string | undefined) => receiver.spans.find((s) => s.spanId === spanId)
      const submit = spanOf("pipeweave-orchestrator", "http.server POST /api/queue/task")!
      const dispatch = spanOf("pipeweave-orchestrator", "Dispatcher.dispatch", forRun)!
      const execute = spanOf("traced-e2e-worker", "Worker.executeDispatch", forRun)!
      const workerRequest = byId(execute?.parentSpanId)!
      const callback = spanOf("pipeweave-orchestrator", "http.server POST /api/callback/:runId", callbackOf)!
      for (const span of [submit, dispatch, execute, workerRequest, callback]) {
        assert.isDefined(span, diagnose())
        assert.strictEqual(span.traceId, submit.traceId, `${span.service}:${span.name}`)
      }
      // orchestrator: submission → insert → claim, dispatch → HTTP client → worker: request → execution
      const claim = spanOf("pipeweave-orchestrator", "TaskRuns.claim", forRun)!
      assert.strictEqual(claim.traceId, submit.traceId)
      assert.strictEqual(byId(claim.parentSpanId)?.name, "TaskRuns.insert")
      assert.strictEqual(byId(dispatch.parentSpanId)?.name, "TaskRuns.insert")
      assert.strictEqual(workerRequest.service, "traced-e2e-worker")
      assert.strictEqual(workerRequest.name, "http.server POST /tasks/noop")
      const dispatchRequest = byId(workerRequest.parentSpanId)!
      assert.strictEqual(dispatchRequest.service, "pipeweave-orchestrator")
      assert.strictEqual(dispatchRequest.parentSpanId, dispatch.spanId)
      // worker: execution → callback → orchestrator: the callback request
      const callbackRequest = byId(callback.parentSpanId)!
      assert.strictEqual(callbackRequest.service, "traced-e2e-worker")
      assert.strictEqual(byId(callbackRequest.parentSpanId)?.name, "Worker.deliverCallback")
      assert.strictEqual(byId(byId(callbackRequest.parentSpanId)?.parentSpanId)?.spanId, execute.spanId)
      for (const step of ["Worker.hydrate", "Worker.handler", "Worker.upload"]) {
        assert.isDefined(spanOf("traced-e2e-worker", step, (s) => s.traceId === submit.traceId), step)
      }
      // Health checks and the background loops are not traced.
      assert.isUndefined(receiver.spans.find((s) => s.name.includes("/health")))
      assert.isUndefined(receiver.spans.find((s) => s.name === "SchedulingPass.pass" || s.name === "DeadlineSweep.sweep"))
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
