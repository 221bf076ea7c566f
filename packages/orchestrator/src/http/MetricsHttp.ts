import { HttpApiBuilder } from "@effect/platform"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Clock, Effect } from "effect"
import { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { TaskRunReads } from "../store/TaskRunReads.js"

/** `GET /metrics`: one read of the run counters (no scan of `task_runs`), then the in-memory metrics. */
export const MetricsHttp = HttpApiBuilder.group(OrchestratorApi, "metrics", (handlers) =>
  Effect.gen(function*() {
    const metrics = yield* OrchestratorMetrics
    const reads = yield* TaskRunReads
    return handlers.handle("metrics", () =>
      Effect.gen(function*() {
        const status = yield* reads.status
        const { completed, dlq, failed, oldestPending, pending, running, waiting } = status
        return yield* metrics.render({
          byStatus: { pending, running, waiting, completed, failed },
          pending,
          oldestPending,
          dlq,
          nowMs: yield* Clock.currentTimeMillis
        })
      }))
  }))
