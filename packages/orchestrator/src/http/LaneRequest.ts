import { HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Conflict, NotFound, ValidationError } from "@pipeweave/domain/Errors"
import { exceedsDepth } from "@pipeweave/domain/JsonDepth"
import { readUpTo } from "@pipeweave/domain/ReadUpTo"
import { tracingEnabled } from "@pipeweave/domain/TraceContext"
import { Effect, Either, FiberRef, Option, Schema } from "effect"
import { OrchestratorConfig, type OrchestratorSettings } from "../Config.js"
import type { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { tooLarge, unreadable } from "./BodyLimit.js"
import { isJson } from "./ContentTypeGuard.js"
import { httpMetrics } from "./HttpMetrics.js"
import { MAX_JSON_DEPTH } from "./JsonDepth.js"
import { withBody } from "./PreReadBody.js"
import { requestIds } from "./RequestIds.js"

const BEARER = "Bearer "

/**
 * The Bearer token of a JSON `POST` to exactly `path` that no guard has to act on (no `Origin`: not
 * from a browser; a JSON body of a declared length within `maxBodyBytes`, not chunked), or
 * `undefined`: the request must take the API. `""` when it carries no Bearer token.
 */
export const plainJsonPost = (
  request: HttpServerRequest.HttpServerRequest,
  path: RegExp,
  maxBodyBytes: number
): { readonly match: RegExpExecArray; readonly bearer: string } | undefined => {
  if (request.method !== "POST") return undefined
  const match = path.exec(request.url)
  const { headers } = request
  const length = headers["content-length"]
  if (
    match === null || headers["origin"] !== undefined || headers["transfer-encoding"] !== undefined ||
    headers["content-type"] === undefined || !isJson(headers["content-type"]) || length === undefined || !/^[1-9][0-9]{0,9}$/.test(length) ||
    Number(length) > maxBodyBytes
  ) return undefined
  const authorization = headers["authorization"]
  if (authorization !== undefined && !authorization.startsWith(BEARER)) return undefined
  return { match, bearer: authorization?.slice(BEARER.length) ?? "" }
}

/**
 * `response` through the request ids and metrics of every answer; the request id's header (and a
 * 5xx's JSON body) are added by the pre-response handler `requestIds` installs, which the platform
 * runs only for an answer written by the app a lane did not call.
 */
export const answered = <R>(request: HttpServerRequest.HttpServerRequest, response: HttpApp.Default<never, R>) =>
  Effect.flatMap(httpMetrics(requestIds(Effect.provideService(response, HttpServerRequest.HttpServerRequest, request))), (answer) =>
    Effect.flatMap(FiberRef.get(HttpApp.currentPreResponseHandlers), (handler) =>
      Option.isSome(handler) ? Effect.orDie(handler.value(request, answer)) : Effect.succeed(answer)))

/**
 * A lane's JSON body: parsed (with `onward`, the API given the body already read); or the API to
 * answer it (`Onward`); or the answer the body limit gives a body that cannot be read (`Refused`).
 */
export type LaneBody<R> =
  | { readonly _tag: "Parsed"; readonly json: unknown; readonly onward: HttpApp.Default<never, R> }
  | { readonly _tag: "Onward"; readonly onward: HttpApp.Default<never, R> }
  | { readonly _tag: "Refused"; readonly response: HttpApp.Default }

/**
 * Reads a lane's body as the body limit would (an unreadable one is answered as it answers it),
 * then parses it; a body nesting too deep or not JSON goes on to the API with the body attached.
 */
export const readLaneBody = <R>(
  request: HttpServerRequest.HttpServerRequest,
  maxBodyBytes: number,
  app: HttpApp.Default<never, R>
): Effect.Effect<LaneBody<R>> =>
  Effect.map(Effect.either(readUpTo(NodeHttpServerRequest.toIncomingMessage(request), maxBodyBytes)), (read): LaneBody<R> => {
    if (Either.isLeft(read)) return { _tag: "Refused", response: unreadable }
    if (Option.isNone(read.right)) return { _tag: "Refused", response: tooLarge(maxBodyBytes) }
    const body = read.right.value
    const text = body.toString("utf8")
    const onward = Effect.provideService(app, HttpServerRequest.HttpServerRequest, withBody(request, body, text))
    if (exceedsDepth(text, MAX_JSON_DEPTH)) return { _tag: "Onward", onward }
    try {
      return { _tag: "Parsed", json: JSON.parse(text) as unknown, onward }
    } catch {
      return { _tag: "Onward", onward }
    }
  })

/** A refusal a use case failed with, answered as the API answers it: the error's own fields and its status. */
export const refusal = (error: ValidationError | NotFound | Conflict) => {
  switch (error._tag) {
    case "ValidationError":
      return HttpServerResponse.json(Schema.encodeSync(ValidationError)(error), { status: 400 })
    case "NotFound":
      return HttpServerResponse.json(Schema.encodeSync(NotFound)(error), { status: 404 })
    case "Conflict":
      return HttpServerResponse.json(Schema.encodeSync(Conflict)(error), { status: 409 })
  }
}

/** A request a lane took: its path's match, its Bearer token (`""` without one) and its parsed body. */
export interface Taken<R> {
  readonly request: HttpServerRequest.HttpServerRequest
  readonly match: RegExpExecArray
  readonly bearer: string
  readonly json: unknown
  readonly config: OrchestratorSettings
  /** The API, given the body already read: where everything the lane does not accept goes. */
  readonly onward: HttpApp.Default<never, R>
}

/** What every lane uses beside its own services. */
export type LaneServices = HttpServerRequest.HttpServerRequest | OrchestratorConfig | OrchestratorMetrics

/**
 * A middleware taking the plain JSON `POST`s to `path` (`plainJsonPost`) while nothing is traced and
 * no CORS is configured: their body read and parsed (`readLaneBody`), then `handle`d; everything
 * else goes on to `app` untouched.
 */
export const lane = <S>(
  path: RegExp,
  handle: <R>(taken: Taken<R>) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R | S | LaneServices>
) =>
<R>(app: HttpApp.Default<never, R>): HttpApp.Default<never, R | S | LaneServices> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
    Effect.flatMap(OrchestratorConfig, (config) => {
      const post = config.corsOrigins.length === 0 ? plainJsonPost(request, path, config.maxBodyBytes) : undefined
      if (post === undefined) return app
      return Effect.flatMap(tracingEnabled, (traced) =>
        traced ? app : Effect.flatMap(readLaneBody(request, config.maxBodyBytes, app), (body) =>
          body._tag === "Refused"
            ? answered(request, body.response)
            : body._tag === "Onward"
            ? body.onward
            : handle({ request, match: post.match, bearer: post.bearer, json: body.json, config, onward: body.onward })))
    }))
