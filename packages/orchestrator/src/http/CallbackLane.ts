import { HttpServerResponse } from "@effect/platform"
import { CallbackPayload, CallbackResult } from "@pipeweave/domain/Callback"
import { TaskRunId } from "@pipeweave/domain/Ids"
import { strictDecoder } from "@pipeweave/domain/api/StrictPayload"
import { plainEncodeSync } from "@pipeweave/domain/PlainDecode"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Effect, Either, Option, Schema } from "effect"
import { checkCallbackScope } from "../flow/CallbackScope.js"
import { Callbacks } from "../flow/Callbacks.js"
import { RunSlots } from "../flow/RunSlots.js"
import { answered, lane, refusal, type Taken } from "./LaneRequest.js"

const decodeRunId = Schema.decodeUnknownOption(TaskRunId)
const decodePayload = strictDecoder(CallbackPayload)
const encodeResult = plainEncodeSync(CallbackResult)

/** The lane's steps, as one generator defined once (one made per callback costs a hidden class and a prototype). */
function* callbackSteps<R>({ bearer, json, match, onward, request }: Taken<R>) {
  const runId = decodeRunId(match[1])
  const payload = Either.getRight(decodePayload(json))
  if (bearer === "" || Option.isNone(runId) || Option.isNone(payload)) return yield* onward
  const claims = yield* Effect.either((yield* Crypto).verifyCredential(bearer, yield* Clock.currentTimeMillis))
  if (Either.isLeft(claims)) return yield* onward
  const claim = claims.right
  if (claim._tag !== "Run" || claim.runId !== runId.value || claim.attempt !== payload.value.attempt) return yield* onward
  const inScope = yield* Effect.either(checkCallbackScope(runId.value, claim.scope, payload.value))
  if (Either.isLeft(inScope)) return yield* onward
  const slots = yield* RunSlots
  const callbacks = yield* Callbacks
  return yield* answered(
    request,
    callbacks.apply(runId.value, payload.value).pipe(
      slots.freeFor([runId.value]),
      Effect.map((result) => HttpServerResponse.unsafeJson(encodeResult(result))),
      Effect.catchTags({ ValidationError: refusal, NotFound: refusal, Conflict: refusal }),
      Effect.orDie
    )
  )
}

/**
 * `POST /api/callback/:runId` the short way, for a callback that every guard and check of the API
 * would let through unchanged: no tracing, no CORS configured and no `Origin` (no browser), a JSON
 * body of a declared length within `MAX_BODY_BYTES`, a Bearer credential. The lane decodes the body
 * with the endpoint's own schema, verifies the run credential, its run and attempt and the paths'
 * scope, and applies it as the endpoint does, answering through the same request ids and metrics.
 * Anything it does not accept before applying goes on to the API with the body already read, which
 * answers it as always: the lane changes no answer, only the cost of the common one (the `HttpApi`
 * router, its security and decoding middleware and the guards).
 */
export const callbackLane = lane<Crypto | RunSlots | Callbacks>(
  /^\/api\/callback\/([^/?#]+)$/,
  (taken) => Effect.gen(() => callbackSteps(taken))
)
