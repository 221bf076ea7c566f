import { HttpApi, HttpApiBuilder, HttpServer, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { Conflict, NotFound, Unauthorized, ValidationError } from "@pipeweave/domain/Errors"
import { CurrentWorker, WorkerAuth, type WorkerClaims } from "@pipeweave/domain/api/Security"
import { CallbacksApi } from "@pipeweave/domain/api/CallbacksApi"
import { WorkerApi } from "@pipeweave/domain/api/WorkerApi"
import type { CallbackItemResult } from "@pipeweave/domain/CallbackGroup"
import type { IdempotencyDecision } from "@pipeweave/domain/Idempotency"
import { type DeregisterRequest, RegisterResponse, type RegisterRequest } from "@pipeweave/domain/Registration"
import type { CryptoShape } from "@pipeweave/storage/Crypto"
import { Clock, Effect, Layer, Redacted, type Scope } from "effect"
import { createServer } from "node:http"

/** A stand-in orchestrator API: only the contract's `WorkerApi` and `CallbacksApi` groups. */
class FakeOrchestratorApi extends HttpApi.make("fake-orchestrator").add(WorkerApi).add(CallbacksApi) {}

/** How the fake answers a callback: accept it, 409, or a 500. */
export type CallbackAnswer = "ok" | "conflict" | "error"

/** How the fake answers an idempotency check: a decision, 409, 404, or a 500. */
export type IdempotencyAnswer = IdempotencyDecision | "conflict" | "not-found" | "error"

/** Everything the fake saw, and knobs for how it answers. */
export interface FakeState {
  readonly registrations: Array<{ readonly body: RegisterRequest; readonly claims: WorkerClaims }>
  readonly deregistrations: Array<{ readonly body: DeregisterRequest; readonly claims: WorkerClaims }>
  readonly heartbeats: Array<{ readonly runId: string; readonly attempt: number; readonly claims: WorkerClaims }>
  readonly progress: Array<{ readonly runId: string; readonly percent: number; readonly message: string | undefined }>
  readonly callbacks: Array<{ readonly runId: string; readonly body: CallbackPayload; readonly claims: WorkerClaims }>
  readonly idempotency: Array<{ readonly runId: string; readonly attempt: number; readonly key: string; readonly claims: WorkerClaims }>
  /** Answers for the next idempotency checks, consumed in order; `Execute` once empty. */
  idempotencyAnswers: Array<IdempotencyAnswer>
  /** Answers for the next callbacks, consumed in order; `ok` once empty. */
  callbackAnswers: Array<CallbackAnswer>
  /** Runs whose heartbeats answer `cancelled: true`. */
  readonly cancelled: Set<string>
  /** When set, registration answers 400 with this message. */
  rejectRegistration: string | undefined
  /** Code version the fake assigns each task (default 1). */
  readonly codeVersions: Map<string, number>
  /** `features` of the registration answer (absent, like an older orchestrator, unless set). */
  features: ReadonlyArray<string> | undefined
  /** Method and path of every request, in order. */
  readonly requests: Array<string>
  /** When false, `POST /api/callbacks` answers 404 like an orchestrator without the route. */
  groupedRoute: boolean
}

export interface FakeOrchestrator {
  readonly url: string
  readonly state: FakeState
}

export const makeFakeState = (): FakeState => ({
  registrations: [],
  deregistrations: [],
  heartbeats: [],
  progress: [],
  callbacks: [],
  idempotency: [],
  idempotencyAnswers: [],
  callbackAnswers: [],
  cancelled: new Set(),
  rejectRegistration: undefined,
  codeVersions: new Map(),
  features: undefined,
  requests: [],
  groupedRoute: true
})

const handlers = (state: FakeState) =>
  HttpApiBuilder.group(FakeOrchestratorApi, "worker", (h) =>
    h
      .handle("register", ({ payload }) =>
        Effect.gen(function*() {
          const claims = yield* CurrentWorker
          state.registrations.push({ body: payload, claims })
          if (state.rejectRegistration !== undefined) {
            return yield* new ValidationError({ field: "tasks", message: state.rejectRegistration })
          }
          return new RegisterResponse({
            serviceId: payload.serviceId,
            version: payload.version,
            tasks: payload.tasks.map((t) => ({
              taskId: t.id,
              codeHash: t.codeHash,
              codeVersion: state.codeVersions.get(t.id) ?? 1
            })),
            codeChanges: [],
            orphansCancelled: [],
            ...(state.features === undefined ? {} : { features: state.features })
          })
        }))
      .handle("deregister", ({ payload }) =>
        Effect.map(CurrentWorker, (claims) => {
          state.deregistrations.push({ body: payload, claims })
          return { deregistered: true }
        }))
      .handle("heartbeat", ({ payload }) =>
        Effect.gen(function*() {
          const claims = yield* CurrentWorker
          state.heartbeats.push({ runId: payload.runId, attempt: payload.attempt, claims })
          const cancelled = state.cancelled.has(payload.runId)
          return { runId: payload.runId, status: cancelled ? "cancelled" as const : "running" as const, cancelled }
        }))
      .handle("progress", ({ payload }) =>
        Effect.sync(() => {
          state.progress.push({ runId: payload.runId, percent: payload.percent, message: payload.message })
          return { runId: payload.runId, status: "running" as const, cancelled: state.cancelled.has(payload.runId) }
        }))
      .handle("idempotency", ({ payload }) =>
        Effect.gen(function*() {
          const claims = yield* CurrentWorker
          state.idempotency.push({ runId: payload.runId, attempt: payload.attempt, key: payload.key, claims })
          const answer = state.idempotencyAnswers.shift() ?? { _tag: "Execute" as const }
          if (answer === "conflict") return yield* new Conflict({ message: "attempt superseded" })
          if (answer === "not-found") return yield* new NotFound({ resource: "run", id: payload.runId, message: "no such run" })
          if (answer === "error") return yield* Effect.die(new Error("fake orchestrator failure"))
          return answer
        }))
      .handle("callback", ({ path, payload }) =>
        Effect.gen(function*() {
          const claims = yield* CurrentWorker
          state.callbacks.push({ runId: path.runId, body: payload, claims })
          const answer = state.callbackAnswers.shift() ?? "ok"
          if (answer === "conflict") return yield* new Conflict({ message: "stale attempt" })
          if (answer === "error") return yield* Effect.die(new Error("fake orchestrator failure"))
          return { runId: path.runId, status: payload.status === "success" ? "completed" as const : "pending" as const }
        }))
  )

/** `POST /api/callbacks`: each item recorded and answered from `callbackAnswers` like a single callback. */
const groupHandlers = (state: FakeState, crypto: CryptoShape) =>
  HttpApiBuilder.group(FakeOrchestratorApi, "callbacks", (h) =>
    h.handle("callbacks", ({ payload }) =>
      Effect.forEach(payload.callbacks as ReadonlyArray<any>, (item) =>
        Effect.gen(function*() {
          const { callbackToken, runId, traceparent: _, ...body } = item
          const claims = yield* Effect.orDie(crypto.verifyCredential(callbackToken, yield* Clock.currentTimeMillis))
          state.callbacks.push({ runId, body, claims })
          const answer = state.callbackAnswers.shift() ?? "ok"
          return (answer === "conflict"
            ? { runId, status: 409, error: { _tag: "Conflict", message: "stale attempt" } }
            : answer === "error"
            ? { runId, status: 500, error: { _tag: "InternalError", message: "fake orchestrator failure" } }
            : { runId, status: 200, runStatus: "completed" }) satisfies CallbackItemResult
        })).pipe(Effect.map((results) => ({ results })))))

const auth = (crypto: CryptoShape) =>
  Layer.succeed(WorkerAuth, {
    bearer: (token) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => crypto.verifyCredential(Redacted.value(token), now)).pipe(
        Effect.mapError((e) => new Unauthorized({ message: e.message }))
      )
  })

/** Serves the fake on 127.0.0.1 (`port` 0 = any free port) for the life of the scope. */
export const makeFakeOrchestrator = (
  crypto: CryptoShape,
  options: { readonly port?: number; readonly state?: FakeState } = {}
): Effect.Effect<FakeOrchestrator, unknown, Scope.Scope> =>
  Effect.gen(function*() {
    const state = options.state ?? makeFakeState()
    const api = HttpApiBuilder.api(FakeOrchestratorApi).pipe(
      Layer.provide([handlers(state), groupHandlers(state, crypto)]),
      Layer.provide(auth(crypto))
    )
    const server = HttpApiBuilder.serve((app) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (r) => {
        state.requests.push(`${r.method} ${r.url}`)
        return r.url === "/api/callbacks" && !state.groupedRoute
          ? HttpServerResponse.json({ _tag: "RouteNotFound", message: "no endpoint" }, { status: 404 }).pipe(Effect.orDie)
          : app
      })
    ).pipe(
      Layer.provide(api),
      Layer.provideMerge(NodeHttpServer.layer(createServer, { port: options.port ?? 0, host: "127.0.0.1" }))
    )
    const context = yield* Layer.build(server)
    const url = yield* HttpServer.addressFormattedWith((address) => Effect.succeed(address)).pipe(
      Effect.provide(context)
    )
    return { url, state }
  })
