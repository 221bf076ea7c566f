import { Effect } from "effect"
import * as Prometheus from "prom-client"

/** How an applied attempt ended. */
export type AttemptOutcome = "completed" | "retry-scheduled" | "dead-lettered"

/** Distinct error codes kept as label values; later ones are counted under `other`. */
const MAX_ERROR_CODES = 100

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600]
const CLAIM_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

const makeInstruments = (registry: Prometheus.Registry) => {
  const registers = [registry]
  return {
    runs: new Prometheus.Gauge({
      name: "pipeweave_task_runs",
      help: "Task runs by status, read from the counters the database triggers keep (at scrape time)",
      labelNames: ["status"],
      registers
    }),
    queueDepth: new Prometheus.Gauge({ name: "pipeweave_queue_depth", help: "Pending task runs", registers }),
    oldestPending: new Prometheus.Gauge({
      name: "pipeweave_queue_oldest_pending_age_seconds",
      help: "Age of the oldest pending task run (0 when none is pending)",
      registers
    }),
    dlqSize: new Prometheus.Gauge({ name: "pipeweave_dlq_size", help: "Dead letters not retried yet", registers }),
    runsEnded: new Prometheus.Counter({
      name: "pipeweave_task_runs_ended_total",
      help: "Task runs this orchestrator saw end, by task and final status (completed, failed)",
      labelNames: ["task", "status"],
      registers
    }),
    attempts: new Prometheus.Counter({
      name: "pipeweave_attempts_total",
      help: "Attempts whose result this orchestrator applied, by task, outcome and error code",
      labelNames: ["task", "outcome", "error_code"],
      registers
    }),
    retries: new Prometheus.Counter({
      name: "pipeweave_retries_scheduled_total",
      help: "Failed attempts that scheduled a retry, by task",
      labelNames: ["task"],
      registers
    }),
    dispatchLatency: new Prometheus.Histogram({
      name: "pipeweave_dispatch_latency_seconds",
      help: "Time from a run being due to its claim for dispatch (queue to start), by task",
      labelNames: ["task"],
      buckets: LATENCY_BUCKETS,
      registers
    }),
    attemptDuration: new Prometheus.Histogram({
      name: "pipeweave_attempt_duration_seconds",
      help: "Time from dispatch to the attempt's result, by task and outcome (runs this orchestrator dispatched)",
      labelNames: ["task", "outcome"],
      buckets: DURATION_BUCKETS,
      registers
    }),
    dispatches: new Prometheus.Counter({
      name: "pipeweave_dispatches_total",
      help: "Dispatches by how they ended (delivered, back-pressure, unreachable, failed, abandoned)",
      labelNames: ["outcome"],
      registers
    }),
    dispatchRequests: new Prometheus.Counter({
      name: "pipeweave_dispatch_requests_total",
      help: "Dispatch requests sent to workers: single (one run) or group (several runs of one instance)",
      labelNames: ["kind"],
      registers
    }),
    claimDuration: new Prometheus.Histogram({
      name: "pipeweave_claim_duration_seconds",
      help: "Duration of one claim statement",
      buckets: CLAIM_BUCKETS,
      registers
    }),
    claimed: new Prometheus.Counter({ name: "pipeweave_claimed_runs_total", help: "Task runs claimed", registers }),
    httpRequests: new Prometheus.Counter({
      name: "pipeweave_http_requests_total",
      help: "HTTP requests by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      registers
    }),
    httpDuration: new Prometheus.Histogram({
      name: "pipeweave_http_request_duration_seconds",
      help: "HTTP request duration by method and route pattern",
      labelNames: ["method", "route"],
      buckets: LATENCY_BUCKETS,
      registers
    }),
    uptime: new Prometheus.Gauge({ name: "pipeweave_uptime_seconds", help: "Seconds since the orchestrator started", registers })
  }
}

/**
 * The orchestrator's metrics in one prom-client registry of its own (several orchestrators can
 * share a process in tests), with Node's process metrics (CPU, RSS, heap, event-loop lag, GC).
 * Counters and histograms live in memory and are updated where results are applied; gauges of
 * the database's state are set at scrape time.
 */
export class OrchestratorMetrics extends Effect.Service<OrchestratorMetrics>()("@pipeweave/orchestrator/OrchestratorMetrics", {
  sync: () => {
    const registry = new Prometheus.Registry()
    Prometheus.collectDefaultMetrics({ register: registry })
    const m = makeInstruments(registry)
    const startedMs = Date.now()
    const errorCodes = new Set<string>()
    const codeLabel = (code: string | null): string => {
      if (code === null) return ""
      if (errorCodes.has(code)) return code
      if (errorCodes.size >= MAX_ERROR_CODES) return "other"
      errorCodes.add(code)
      return code
    }
    const attemptApplied = (taskId: string, outcome: AttemptOutcome, errorCode: string | null, durationMs: number | undefined) => {
      m.attempts.inc({ task: taskId, outcome, error_code: codeLabel(errorCode) })
      if (outcome === "retry-scheduled") m.retries.inc({ task: taskId })
      else m.runsEnded.inc({ task: taskId, status: outcome === "completed" ? "completed" : "failed" })
      if (durationMs !== undefined) m.attemptDuration.observe({ task: taskId, outcome }, durationMs / 1000)
    }
    return {
      attemptApplied: (
        taskId: string,
        outcome: AttemptOutcome,
        errorCode: string | null,
        durationMs: number | undefined
      ) => Effect.sync(() => attemptApplied(taskId, outcome, errorCode, durationMs)),
      /** `attemptApplied` for several attempts at once. */
      attemptsApplied: (
        attempts: ReadonlyArray<{
          readonly taskId: string
          readonly outcome: AttemptOutcome
          readonly errorCode: string | null
          readonly durationMs: number | undefined
        }>
      ) =>
        Effect.sync(() => {
          for (const a of attempts) attemptApplied(a.taskId, a.outcome, a.errorCode, a.durationMs)
        }),
      claimed: (durationMs: number, runs: ReadonlyArray<{ readonly taskId: string; readonly availableAt: Date }>, nowMs: number) =>
        Effect.sync(() => {
          m.claimDuration.observe(durationMs / 1000)
          if (runs.length > 0) m.claimed.inc(runs.length)
          for (const run of runs) m.dispatchLatency.observe({ task: run.taskId }, Math.max(0, nowMs - run.availableAt.getTime()) / 1000)
        }),
      dispatched: (outcome: string, runs = 1) => Effect.sync(() => m.dispatches.inc({ outcome }, runs)),
      dispatchRequest: (kind: "single" | "group") => Effect.sync(() => m.dispatchRequests.inc({ kind })),
      httpRequest: (method: string, route: string, status: number, durationMs: number) =>
        Effect.sync(() => {
          m.httpRequests.inc({ method, route, status: String(status) })
          m.httpDuration.observe({ method, route }, durationMs / 1000)
        }),
      /** Renders every metric in the Prometheus text format, after setting the scrape-time gauges. */
      render: (state: {
        readonly byStatus: Readonly<Record<string, number>>
        readonly pending: number
        readonly oldestPending: Date | null
        readonly dlq: number
        readonly nowMs: number
      }) =>
        Effect.promise(() => {
          for (const [status, n] of Object.entries(state.byStatus)) m.runs.set({ status }, n)
          m.queueDepth.set(state.pending)
          m.oldestPending.set(state.oldestPending === null ? 0 : Math.max(0, state.nowMs - state.oldestPending.getTime()) / 1000)
          m.dlqSize.set(state.dlq)
          m.uptime.set((Date.now() - startedMs) / 1000)
          return registry.metrics()
        })
    }
  }
}) {}
