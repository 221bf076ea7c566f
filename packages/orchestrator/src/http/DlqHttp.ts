import { HttpApiBuilder } from "@effect/platform"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect } from "effect"
import { DeadLetters } from "../dlq/DeadLetters.js"
import { Scheduler } from "../scheduler/Scheduler.js"

export const DlqHttp = HttpApiBuilder.group(OrchestratorApi, "dlq", (handlers) =>
  Effect.gen(function*() {
    const dlq = yield* DeadLetters
    const scheduler = yield* Scheduler
    return handlers
      .handle("list", ({ urlParams }) => dlq.list(urlParams))
      .handle("show", ({ path }) => dlq.show(path.id))
      .handle("retry", ({ path }) => dlq.retry(path.id).pipe(Effect.tap(() => scheduler.wake)))
      .handle("retryAll", ({ payload }) => dlq.retryAll(payload).pipe(Effect.tap(() => scheduler.wake)))
      .handle("purge", ({ payload }) => dlq.purgeOlderThan(payload.olderThan))
  }))
