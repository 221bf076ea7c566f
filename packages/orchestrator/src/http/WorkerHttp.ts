import { HttpApiBuilder } from "@effect/platform"
import { Unauthorized } from "@pipeweave/domain/Errors"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { CurrentWorker } from "@pipeweave/domain/api/Security"
import { Effect } from "effect"
import { Callbacks } from "../queue/Callbacks.js"
import { Idempotency } from "../queue/Idempotency.js"
import { TaskQueue } from "../queue/TaskQueue.js"
import { Registry } from "../registry/Registry.js"
import { Scheduler } from "../scheduler/Scheduler.js"

const requireRun = (runId: string, attempt: number) =>
  Effect.flatMap(CurrentWorker, (claims) =>
    claims._tag === "Run" && claims.runId === runId && claims.attempt === attempt
      ? Effect.void
      : Effect.fail(new Unauthorized({ message: `the credential is not for run ${runId} attempt ${attempt}` })))

const requireService = (serviceId: string) =>
  Effect.flatMap(CurrentWorker, (claims) =>
    claims._tag === "Service" && claims.serviceId === serviceId
      ? Effect.void
      : Effect.fail(new Unauthorized({ message: `the credential is not for service '${serviceId}'` })))

export const WorkerHttp = HttpApiBuilder.group(OrchestratorApi, "worker", (handlers) =>
  Effect.gen(function*() {
    const registry = yield* Registry
    const queue = yield* TaskQueue
    const callbacks = yield* Callbacks
    const idempotency = yield* Idempotency
    const scheduler = yield* Scheduler
    return handlers
      .handle("register", ({ payload }) =>
        requireService(payload.serviceId).pipe(
          Effect.zipRight(registry.register(payload)),
          Effect.tap(() => scheduler.wake)
        ))
      .handle("heartbeat", ({ payload }) =>
        requireRun(payload.runId, payload.attempt).pipe(Effect.zipRight(queue.heartbeat(payload.runId, payload.attempt))))
      .handle("progress", ({ payload }) =>
        requireRun(payload.runId, payload.attempt).pipe(
          Effect.zipRight(queue.progress(payload.runId, payload.attempt, payload.percent, payload.message ?? null))
        ))
      .handle("idempotency", ({ payload }) =>
        requireRun(payload.runId, payload.attempt).pipe(
          Effect.zipRight(idempotency.claim(payload.runId, payload.attempt, payload.key)),
          Effect.tap(() => scheduler.wake)
        ))
      .handle("callback", ({ path, payload }) =>
        requireRun(path.runId, payload.attempt).pipe(
          Effect.zipRight(callbacks.apply(path.runId, payload)),
          Effect.tap(() => scheduler.wake)
        ))
  }))
