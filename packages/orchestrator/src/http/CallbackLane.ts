import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { CallbackPayload, CallbackResult } from "@pipeweave/domain/Callback"
import { Conflict, NotFound, ValidationError } from "@pipeweave/domain/Errors"
import { TaskRunId } from "@pipeweave/domain/Ids"
import { exceedsDepth } from "@pipeweave/domain/JsonDepth"
import { readUpTo } from "@pipeweave/domain/ReadUpTo"
import { tracingEnabled } from "@pipeweave/domain/TraceContext"
import { strictPayload } from "@pipeweave/domain/api/StrictPayload"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Effect, Either, FiberRef, Option, Schema } from "effect"
import { OrchestratorConfig } from "../Config.js"
import type { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { checkCallbackScope } from "../flow/CallbackScope.js"
import { Callbacks } from "../flow/Callbacks.js"
import { RunSlots } from "../flow/RunSlots.js"
import { tooLarge, unreadable } from "./BodyLimit.js"
import { httpMetrics } from "./HttpMetrics.js"
import { MAX_JSON_DEPTH } from "./JsonDepth.js"
import { withBody } from "./PreReadBody.js"
import { requestIds } from "./RequestIds.js"

/** What the lane uses beside the request. */
type LaneServices =
  | HttpServerRequest.HttpServerRequest
  | OrchestratorConfig
  | OrchestratorMetrics
  | Crypto
  | RunSlots
  | Callbacks

const PATH = /^\/api\/callback\/([^/?#]+)$/
const BEARER = "Bearer "
const decodeRunId = Schema.decodeUnknownOption(TaskRunId)
const decodePayload = Schema.decodeUnknownOption(strictPayload(CallbackPayload))
const encodeResult = Schema.encodeSync(CallbackResult)

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.split(";")[0]!.trim().toLowerCase() === "application/json"

/** What a refused callback is answered, as the API answers it (the error's own fields, its status). */
const refusal = (error: ValidationError | NotFound | Conflict) => {
  switch (error._tag) {
    case "ValidationError":
      return HttpServerResponse.json(Schema.encodeSync(ValidationError)(error), { status: 400 })
    case "NotFound":
      return HttpServerResponse.json(Schema.encodeSync(NotFound)(error), { status: 404 })
    case "Conflict":
      return HttpServerResponse.json(Schema.encodeSync(Conflict)(error), { status: 409 })
  }
}

/** The run and credential of a request the lane may take: nothing about it calls for a guard to act. */
const target = (request: HttpServerRequest.HttpServerRequest, maxBodyBytes: number) => {
  if (request.method !== "POST") return undefined
  const runId = PATH.exec(request.url)?.[1]
  const { headers } = request
  const length = headers["content-length"]
  const authorization = headers["authorization"]
  if (
    runId === undefined || headers["origin"] !== undefined || headers["transfer-encoding"] !== undefined ||
    !isJson(headers["content-type"]) || length === undefined || !/^[1-9][0-9]{0,9}$/.test(length) ||
    Number(length) > maxBodyBytes || authorization === undefined || !authorization.startsWith(BEARER)
  ) return undefined
  return Option.match(decodeRunId(runId), {
    onNone: () => undefined,
    onSome: (id) => ({ runId: id, token: authorization.slice(BEARER.length) })
  })
}

/**
 * `POST /api/callback/:runId` the short way, for a callback that every guard and check of the API
 * would let through unchanged: no tracing, no CORS configured and no `Origin` (no browser), a JSON
 * body of a declared length within `MAX_BODY_BYTES`. The lane reads the body, decodes it with the
 * endpoint's own schema, verifies the run credential, its run and attempt and the paths' scope, and
 * applies it as the endpoint does, answering through the same request ids and metrics. Anything it
 * does not accept before applying goes on to the API with the body already read, which answers it
 * as always: the lane changes no answer, only the cost of the common one (the `HttpApi` router,
 * its security and decoding middleware and the guards, about half a millisecond per callback).
 */
export const callbackLane = <R>(app: HttpApp.Default<never, R>): HttpApp.Default<never, R | LaneServices> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.flatMap(OrchestratorConfig, (config) => {
      const taken = config.corsOrigins.length === 0 ? target(request, config.maxBodyBytes) : undefined
      if (taken === undefined) return app
      return Effect.flatMap(tracingEnabled, (traced) => traced ? app : lane(request, taken, app))
    }))

const lane = <R>(
  request: HttpServerRequest.HttpServerRequest,
  { runId, token }: { readonly runId: string; readonly token: string },
  app: HttpApp.Default<never, R>
): HttpApp.Default<never, R | LaneServices> =>
  Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    const read = yield* Effect.either(readUpTo(NodeHttpServerRequest.toIncomingMessage(request), config.maxBodyBytes))
    if (Either.isLeft(read)) return yield* answered(request, unreadable)
    if (Option.isNone(read.right)) return yield* answered(request, tooLarge(config.maxBodyBytes))
    const body = read.right.value
    const text = body.toString("utf8")
    const onward = Effect.provideService(app, HttpServerRequest.HttpServerRequest, withBody(request, body, text))
    if (exceedsDepth(text, MAX_JSON_DEPTH)) return yield* onward
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      return yield* onward
    }
    const payload = decodePayload(parsed)
    if (Option.isNone(payload)) return yield* onward
    const claims = yield* Effect.either((yield* Crypto).verifyCredential(token, yield* Clock.currentTimeMillis))
    if (Either.isLeft(claims)) return yield* onward
    const claim = claims.right
    if (claim._tag !== "Run" || claim.runId !== runId || claim.attempt !== payload.value.attempt) return yield* onward
    const inScope = yield* Effect.either(checkCallbackScope(runId, claim.scope, payload.value))
    if (Either.isLeft(inScope)) return yield* onward
    const slots = yield* RunSlots
    const callbacks = yield* Callbacks
    const applied = slots.free([runId]).pipe(
      Effect.zipRight(callbacks.apply(runId, payload.value)),
      Effect.map((result) => HttpServerResponse.unsafeJson(encodeResult(result))),
      Effect.catchTags({ ValidationError: refusal, NotFound: refusal, Conflict: refusal }),
      Effect.orDie
    )
    return yield* answered(request, Effect.provideService(applied, HttpServerRequest.HttpServerRequest, request))
  })

/**
 * `response` through the request ids and metrics of every answer; the request id's header (and a
 * 5xx's JSON body) are added by the pre-response handler `requestIds` installs, which the platform
 * runs only for an answer written by the app the lane did not call.
 */
const answered = <R>(request: HttpServerRequest.HttpServerRequest, response: HttpApp.Default<never, R>) =>
  Effect.flatMap(httpMetrics(requestIds(response)), (answer) =>
    Effect.flatMap(FiberRef.get(HttpApp.currentPreResponseHandlers), (handler) =>
      Option.isSome(handler) ? Effect.orDie(handler.value(request, answer)) : Effect.succeed(answer)))
