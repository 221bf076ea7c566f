import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Effect, Option } from "effect"
import { hasBody } from "./ContentTypeGuard.js"
import { exceedsDepth } from "@pipeweave/domain/JsonDepth"
import { readUpTo } from "@pipeweave/domain/ReadUpTo"
import { MAX_JSON_DEPTH } from "./JsonDepth.js"
import { preReadBody, withBody } from "./PreReadBody.js"

export const tooLarge = (maxBytes: number) =>
  HttpServerResponse.json(
    {
      _tag: "PayloadTooLarge",
      message: `the request body is larger than MAX_BODY_BYTES (${maxBytes} bytes); put large inputs in storage and pass their path`
    },
    { status: 413, headers: { connection: "close" } }
  ).pipe(Effect.orDie)

const tooDeep = HttpServerResponse.json(
  {
    _tag: "ValidationError",
    field: "body",
    message: `the request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`
  },
  { status: 400 }
).pipe(Effect.orDie)

export const unreadable = HttpServerResponse.json(
  { _tag: "MalformedRequest", message: "the request body could not be read" },
  { status: 400 }
).pipe(Effect.orDie)

/**
 * Reads a request body before the API does, never more than `maxBytes`: a Content-Length above the
 * limit is answered 413 without reading a byte, a body that grows past it (chunked) is answered 413
 * as soon as it does, and the connection is closed. A body nesting deeper than `MAX_JSON_DEPTH` is
 * answered 400 before it is parsed.
 */
export const bodyLimit = (maxBytes: number) =>
<E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    if (!hasBody(request.headers)) return app
    const declared = Number(request.headers["content-length"] ?? 0)
    if (declared > maxBytes) return tooLarge(maxBytes)
    const read = preReadBody(request)
    if (read !== undefined) return exceedsDepth(read.text, MAX_JSON_DEPTH) ? tooDeep : app
    return readUpTo(NodeHttpServerRequest.toIncomingMessage(request), maxBytes).pipe(
      Effect.matchEffect({
        onFailure: () => unreadable,
        onSuccess: Option.match({
          onNone: () => tooLarge(maxBytes),
          onSome: (body) => {
            const text = body.toString("utf8")
            return exceedsDepth(text, MAX_JSON_DEPTH)
              ? tooDeep
              : Effect.provideService(app, HttpServerRequest.HttpServerRequest, withBody(request, body, text))
          }
        })
      })
    )
  })
