import { HttpApiBuilder, HttpServer } from "@effect/platform"
import { GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { Unauthorized, ValidationError } from "@pipeweave/domain/Errors"
import { RegisterResponse } from "@pipeweave/domain/Registration"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { CurrentWorker } from "@pipeweave/domain/api/Security"
import { Effect, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { checkCallbackScope } from "../flow/CallbackScope.js"
import { Callbacks } from "../flow/Callbacks.js"
import { Idempotency } from "../flow/Idempotency.js"
import { Registrations } from "../flow/Registrations.js"
import { RunSlots } from "../flow/RunSlots.js"
import { pointsAtSelf } from "../flow/SelfUrl.js"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"

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
    const registrations = yield* Registrations
    const taskRuns = yield* TaskRuns
    const callbacks = yield* Callbacks
    const slots = yield* RunSlots
    const idempotency = yield* Idempotency
    const registry = yield* Registry
    const server = yield* Effect.serviceOption(HttpServer.HttpServer)
    const config = yield* OrchestratorConfig
    const listener = {
      port: Option.match(server, {
        onNone: () => config.port,
        onSome: ({ address }) => address._tag === "TcpAddress" ? address.port : config.port
      })
    }
    const notSelf = (baseUrl: string) =>
      Effect.flatMap(pointsAtSelf(baseUrl, listener), (self) =>
        self
          ? Effect.fail(
            new ValidationError({
              field: "baseUrl",
              message: "baseUrl points at this orchestrator's own listener; give the worker's own address"
            })
          )
          : Effect.void)
    return handlers
      .handle("register", ({ payload }) =>
        requireService(payload.serviceId).pipe(
          Effect.zipRight(notSelf(payload.baseUrl)),
          Effect.zipRight(registrations.register(payload)),
          Effect.map((response) => new RegisterResponse({ ...response, features: [GROUPED_CALLBACKS] }))
        ))
      .handle("deregister", ({ payload }) =>
        requireService(payload.serviceId).pipe(
          Effect.zipRight(registry.deregister(payload.serviceId, payload.baseUrl)),
          Effect.map((deregistered) => ({ deregistered }))
        ))
      .handle("heartbeat", ({ payload }) =>
        requireRun(payload.runId, payload.attempt).pipe(Effect.zipRight(taskRuns.heartbeat(payload.runId, payload.attempt))))
      .handle("progress", ({ payload }) =>
        requireRun(payload.runId, payload.attempt).pipe(
          Effect.zipRight(taskRuns.progress(
            payload.runId,
            payload.attempt,
            payload.percent,
            payload.message === undefined ? null : payload.message.replaceAll("\u0000", "\uFFFD")
          ))
        ))
      .handle("idempotency", ({ payload }) =>
        requireRun(payload.runId, payload.attempt).pipe(
          Effect.zipRight(idempotency.claim(payload.runId, payload.attempt, payload.key))
        ))
      .handle("callback", ({ path, payload }) =>
        requireRun(path.runId, payload.attempt).pipe(
          Effect.zipRight(CurrentWorker),
          Effect.flatMap((claims) => checkCallbackScope(path.runId, claims._tag === "Run" ? claims.scope : undefined, payload)),
          Effect.zipRight(callbacks.apply(path.runId, payload).pipe(slots.freeFor([path.runId])))
        ))
  }))
