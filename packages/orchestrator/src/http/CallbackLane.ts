import type { HttpApp } from "@effect/platform"
import { HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { CallbackPayload, CallbackResult } from "@pipeweave/domain/Callback"
import { TaskRunId } from "@pipeweave/domain/Ids"
import { tracingEnabled } from "@pipeweave/domain/TraceContext"
import { strictPayload } from "@pipeweave/domain/api/StrictPayload"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Effect, Either, Option, Schema } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { checkCallbackScope } from "../flow/CallbackScope.js"
import { Callbacks } from "../flow/Callbacks.js"
import { RunSlots } from "../flow/RunSlots.js"
import type { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { answered, plainJsonPost, readLaneBody, refusal } from "./LaneRequest.js"

/** What the lane uses beside the request. */
type LaneServices =
  | HttpServerRequest.HttpServerRequest
  | OrchestratorConfig
  | OrchestratorMetrics
  | Crypto
  | RunSlots
  | Callbacks

const PATH = /^\/api\/callback\/([^/?#]+)$/
const decodeRunId = Schema.decodeUnknownOption(TaskRunId)
const decodePayload = Schema.decodeUnknownOption(strictPayload(CallbackPayload))
const encodeResult = Schema.encodeSync(CallbackResult)

/**
 * `POST /api/callback/:runId` the short way, for a callback that every guard and check of the API
 * would let through unchanged: no tracing, no CORS configured and no `Origin` (no browser), a JSON
 * body of a declared length within `MAX_BODY_BYTES`, a Bearer credential. The lane reads the body,
 * decodes it with the endpoint's own schema, verifies the run credential, its run and attempt and
 * the paths' scope, and applies it as the endpoint does, answering through the same request ids
 * and metrics. Anything it does not accept before applying goes on to the API with the body already
 * read, which answers it as always: the lane changes no answer, only the cost of the common one
 * (the `HttpApi` router, its security and decoding middleware and the guards).
 */
export const callbackLane = <R>(app: HttpApp.Default<never, R>): HttpApp.Default<never, R | LaneServices> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.flatMap(OrchestratorConfig, (config) => {
      const post = config.corsOrigins.length === 0 ? plainJsonPost(request, PATH, config.maxBodyBytes) : undefined
      const runId = post === undefined || post.bearer === "" ? Option.none() : decodeRunId(post.match[1])
      if (Option.isNone(runId)) return app
      return Effect.flatMap(tracingEnabled, (traced) => traced ? app : lane(request, runId.value, post!.bearer, app))
    }))

const lane = <R>(
  request: HttpServerRequest.HttpServerRequest,
  runId: string,
  token: string,
  app: HttpApp.Default<never, R>
): HttpApp.Default<never, R | LaneServices> =>
  Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    const body = yield* readLaneBody(request, config.maxBodyBytes, app)
    if (body._tag === "Refused") return yield* answered(request, body.response)
    if (body._tag === "Onward") return yield* body.onward
    const payload = decodePayload(body.json)
    if (Option.isNone(payload)) return yield* body.onward
    const claims = yield* Effect.either((yield* Crypto).verifyCredential(token, yield* Clock.currentTimeMillis))
    if (Either.isLeft(claims)) return yield* body.onward
    const claim = claims.right
    if (claim._tag !== "Run" || claim.runId !== runId || claim.attempt !== payload.value.attempt) return yield* body.onward
    const inScope = yield* Effect.either(checkCallbackScope(runId, claim.scope, payload.value))
    if (Either.isLeft(inScope)) return yield* body.onward
    const slots = yield* RunSlots
    const callbacks = yield* Callbacks
    return yield* answered(
      request,
      slots.free([runId]).pipe(
        Effect.zipRight(callbacks.apply(runId, payload.value)),
        Effect.map((result) => HttpServerResponse.unsafeJson(encodeResult(result))),
        Effect.catchTags({ ValidationError: refusal, NotFound: refusal, Conflict: refusal }),
        Effect.orDie
      )
    )
  })
