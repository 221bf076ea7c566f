import { HttpServerResponse } from "@effect/platform"
import { CallbackGroup, CallbackGroupResult } from "@pipeweave/domain/CallbackGroup"
import { strictDecoder } from "@pipeweave/domain/api/StrictPayload"
import { plainEncodeSync } from "@pipeweave/domain/PlainDecode"
import { Effect, Either } from "effect"
import { CallbackGroups } from "../flow/CallbackGroups.js"
import { answered, lane } from "./LaneRequest.js"

const decodeGroup = strictDecoder(CallbackGroup)
const encodeResult = plainEncodeSync(CallbackGroupResult)

/**
 * `POST /api/callbacks` the short way, as `callbackLane` takes a single callback: a group that no
 * guard has to act on, with no `Authorization` (the endpoint takes none: each item carries its
 * run's credential), whose envelope decodes with the endpoint's own schema, is applied as the
 * endpoint applies it (`CallbackGroups.apply`, every item checked on its own); anything else goes
 * on to the API with its body already read. The answers are the API's.
 */
export const callbackGroupLane = lane<CallbackGroups>(/^\/api\/callbacks$/, ({ json, onward, request }) => {
  const group = decodeGroup(json)
  if (request.headers["authorization"] !== undefined || Either.isLeft(group)) return onward
  return Effect.flatMap(CallbackGroups, (groups) =>
    answered(
      request,
      Effect.map(groups.apply(group.right.callbacks), (results) => HttpServerResponse.unsafeJson(encodeResult({ results })))
    ))
})
