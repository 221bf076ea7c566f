import { assert, describe, it } from "@effect/vitest"
import { TaskError } from "@pipeweave/sdk"
import { Effect, Option, Redacted, Schedule } from "effect"
import parsePrometheusTextFormat from "parse-prometheus-text-format"
import { api, serveOrchestrator, serveWorker } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"

interface Family {
  readonly name: string
  readonly type: string
  readonly metrics: ReadonlyArray<{
    readonly labels?: Record<string, string>
    readonly value?: string
    readonly count?: string
    readonly buckets?: Record<string, string>
  }>
}

const scrape = (url: string, token?: string) =>
  Effect.promise(async () => {
    const response = await fetch(`${url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
    return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() }
  })

const parsed = (url: string) =>
  Effect.map(scrape(url), ({ text }) => Object.assign(parsePrometheusTextFormat(text) as Array<Family>, { text }))

const matches = (labels: Record<string, string> | undefined, wanted: Record<string, string>) =>
  Object.entries(wanted).every(([k, v]) => labels?.[k] === v)

/** The value of a counter or gauge sample (0 when absent). */
const value = (families: ReadonlyArray<Family>, name: string, labels: Record<string, string> = {}): number => {
  const sample = families.find((f) => f.name === name)?.metrics.find((m) => matches(m.labels, labels))
  return sample?.value === undefined ? 0 : Number(sample.value)
}

/**
 * The observation count of one series of a histogram (0 when absent): its `+Inf` bucket.
 * parse-prometheus-text-format folds every series of a histogram into one bucket map, so the
 * exposition is first narrowed to the family's lines of that series.
 */
const count = (text: string, name: string, labels: Record<string, string> = {}): number => {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  const lines = text.split("\n").filter((line) =>
    line.startsWith(`# HELP ${name} `) || line.startsWith(`# TYPE ${name} `) ||
    (line.startsWith(`${name}_bucket{`) && pairs.every((pair) => line.includes(pair))))
  const family = (parsePrometheusTextFormat(lines.join("\n") + "\n") as ReadonlyArray<Family>)[0]
  const infinity = family?.metrics[0]?.buckets?.["+Inf"]
  return infinity === undefined ? 0 : Number(infinity)
}

const scrapeUntil = (url: string, ok: (families: ReadonlyArray<Family> & { readonly text: string }) => boolean) =>
  parsed(url).pipe(
    Effect.filterOrFail(ok, () => new Error("metrics did not reach the expected values")),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("60 seconds"))),
    Effect.orDie
  )

const ended = (url: string, runId: string) =>
  api<any>(url, `/api/task-runs/${runId}`).pipe(
    Effect.filterOrFail((run) => ["completed", "failed"].includes(run.status), () => new Error("still running")),
    Effect.retry(Schedule.spaced("25 millis").pipe(Schedule.upTo("60 seconds"))),
    Effect.orDie
  )

for (const [name, database] of databases) {
  describe(`GET /metrics (${name})`, () => {
    it.live("counters move as runs complete, retry and dead-letter; histograms fill; HTTP labels are route patterns", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        let flaky = 0
        yield* serveWorker(url, "metered", (w) => {
          w.register("m-ok", {}, async () => ({ ok: true }))
          w.register("m-fail", { retries: 0 }, async () => {
            throw new TaskError("the input is unusable", { code: "BAD_INPUT", retryable: false })
          })
          w.register("m-flaky", { retries: 1, retryDelayMs: 10 }, async () => {
            if (flaky++ === 0) throw new TaskError("try again", { code: "FLAKY" })
            return { ok: true }
          })
        })
        const before = yield* parsed(url)
        assert.strictEqual(value(before, "pipeweave_attempts_total", { task: "m-ok" }), 0)

        const N = 3
        const queued = yield* Effect.forEach(
          [...Array.from({ length: N }, () => "m-ok"), "m-fail", "m-flaky"],
          (taskId) => api<any>(url, "/api/queue/task", { taskId, input: {} })
        )
        const runs = yield* Effect.forEach(queued, (q) => ended(url, q.runId))
        assert.deepStrictEqual(runs.map((r) => r.status), ["completed", "completed", "completed", "failed", "completed"])

        const after = yield* scrapeUntil(url, (f) =>
          value(f, "pipeweave_attempts_total", { task: "m-flaky", outcome: "completed" }) === 1 &&
          value(f, "pipeweave_attempts_total", { task: "m-ok", outcome: "completed" }) === N &&
          value(f, "pipeweave_attempts_total", { task: "m-fail" }) === 1)
        assert.strictEqual(value(after, "pipeweave_task_runs_ended_total", { task: "m-ok", status: "completed" }), N)
        assert.strictEqual(value(after, "pipeweave_attempts_total", {
          task: "m-fail",
          outcome: "dead-lettered",
          error_code: "BAD_INPUT"
        }), 1)
        assert.strictEqual(value(after, "pipeweave_task_runs_ended_total", { task: "m-fail", status: "failed" }), 1)
        assert.strictEqual(value(after, "pipeweave_attempts_total", {
          task: "m-flaky",
          outcome: "retry-scheduled",
          error_code: "FLAKY"
        }), 1)
        assert.strictEqual(value(after, "pipeweave_retries_scheduled_total", { task: "m-flaky" }), 1)
        assert.strictEqual(value(after, "pipeweave_dlq_size"), 1)
        assert.strictEqual(value(after, "pipeweave_task_runs", { status: "completed" }), N + 1)
        assert.strictEqual(value(after, "pipeweave_task_runs", { status: "failed" }), 1)
        assert.strictEqual(value(after, "pipeweave_queue_depth"), 0)

        assert.strictEqual(count(after.text, "pipeweave_dispatch_latency_seconds", { task: "m-ok" }), N)
        assert.strictEqual(count(after.text, "pipeweave_dispatch_latency_seconds", { task: "m-flaky" }), 2)
        assert.strictEqual(count(after.text, "pipeweave_attempt_duration_seconds", { task: "m-ok", outcome: "completed" }), N)
        assert.isAtLeast(count(after.text, "pipeweave_claim_duration_seconds"), 1)
        assert.strictEqual(value(after, "pipeweave_claimed_runs_total"), N + 3)
        assert.strictEqual(value(after, "pipeweave_dispatches_total", { outcome: "delivered" }), N + 3)

        assert.isAtLeast(value(after, "pipeweave_http_requests_total", {
          method: "GET",
          route: "/api/task-runs/:id",
          status: "200"
        }), runs.length)
        assert.strictEqual(value(after, "pipeweave_http_requests_total", {
          method: "POST",
          route: "/api/queue/task",
          status: "201"
        }), queued.length)
        const ids = queued.map((q) => q.runId as string)
        for (const family of after) {
          for (const sample of family.metrics) {
            for (const label of Object.values(sample.labels ?? {})) {
              assert.isFalse(ids.some((id) => label.includes(id)), `${family.name} has a run id in a label: ${label}`)
            }
          }
        }

        const missing = `${ids[0]!.slice(0, -4)}0000`
        const unknownRun = yield* Effect.promise(() => fetch(`${url}/api/task-runs/${missing}`))
        assert.strictEqual(unknownRun.status, 404)
        const nowhere = yield* Effect.promise(() => fetch(`${url}/no/such/path/${ids[0]}`))
        assert.strictEqual(nowhere.status, 404)
        const later = yield* parsed(url)
        assert.strictEqual(value(later, "pipeweave_http_requests_total", { route: "/api/task-runs/:id", status: "404" }), 1)
        assert.strictEqual(value(later, "pipeweave_http_requests_total", { route: "unmatched", status: "404" }), 1)

        for (const processMetric of [
          "process_resident_memory_bytes",
          "nodejs_heap_size_used_bytes",
          "process_cpu_seconds_total",
          "nodejs_eventloop_lag_seconds",
          "pipeweave_uptime_seconds"
        ]) {
          assert.isAbove(value(later, processMetric), 0, processMetric)
        }
        const { contentType, status } = yield* scrape(url)
        assert.strictEqual(status, 200)
        assert.match(contentType ?? "", /^text\/plain; version=0\.0\.4/)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("needs the API token when one is set", () =>
      Effect.gen(function*() {
        const token = "metrics-test-token-0123456789"
        const { url } = yield* serveOrchestrator(database(), { apiToken: Option.some(Redacted.make(token)) })
        assert.strictEqual((yield* scrape(url)).status, 401)
        assert.strictEqual((yield* scrape(url, "wrong-token")).status, 401)
        const granted = yield* scrape(url, token)
        assert.strictEqual(granted.status, 200)
        const families = parsePrometheusTextFormat(granted.text) as ReadonlyArray<Family>
        assert.strictEqual(value(families, "pipeweave_http_requests_total", { route: "/metrics", status: "401" }), 2)
      }).pipe(Effect.scoped), { timeout: 60_000 })
  })
}
