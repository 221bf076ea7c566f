import { HttpApiBuilder } from "@effect/platform"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect } from "effect"
import { DeadLetters } from "../flow/DeadLetters.js"

export const DlqHttp = HttpApiBuilder.group(OrchestratorApi, "dlq", (handlers) =>
  Effect.gen(function*() {
    const dlq = yield* DeadLetters
    return handlers
      .handle("list", ({ urlParams }) => dlq.list(urlParams))
      .handle("show", ({ path }) => dlq.show(path.id))
      .handle("retry", ({ path }) => dlq.retry(path.id))
      .handle("retryAll", ({ payload }) => dlq.retryAll(payload))
      .handle("purge", ({ payload }) => dlq.purgeOlderThan(payload.olderThan))
  }))
