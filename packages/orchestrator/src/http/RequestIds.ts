import { HttpApp, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { type Cause, Effect, Option } from "effect"
import { newRequestId } from "../Ids.js"

/** The response header that carries the request id. */
export const REQUEST_ID_HEADER = "x-request-id"

const decoder = new TextDecoder()

/** The JSON body of a 5xx: the one it had, with `requestId`, or a generic one when it had none. */
const failureBody = (response: HttpServerResponse.HttpServerResponse, requestId: string): Record<string, unknown> => {
  if (response.body._tag === "Uint8Array") {
    try {
      const parsed: unknown = JSON.parse(decoder.decode(response.body.body))
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return { ...parsed, requestId }
    } catch {
      // not JSON: answered with the generic body
    }
  }
  return {
    _tag: "InternalServerError",
    message: `the orchestrator failed to answer this request; its log has the cause under request id ${requestId}`,
    requestId
  }
}

const stamp = (requestId: string): HttpApp.PreResponseHandler => (_request, response) =>
  (response.status >= 500
    ? Effect.orDie(
      HttpServerResponse.json(failureBody(response, requestId), { status: response.status, headers: response.headers })
    )
    : Effect.succeed(response)).pipe(Effect.map(HttpServerResponse.setHeader(REQUEST_ID_HEADER, requestId)))

/**
 * Gives every request an id, answered in `x-request-id` and attached to its log lines. Every 5xx
 * (a defect included) is answered with a JSON body carrying `requestId`, never an empty one, and
 * logged with its cause. A client that hung up is not a server failure and is not logged.
 */
export const requestIds = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const requestId = newRequestId()
    // The query string is left out: it may carry a token.
    const path = request.url.split("?")[0]
    const failed = (status: number, cause?: Cause.Cause<unknown>) =>
      cause === undefined
        ? Effect.logError(`${request.method} ${path} answered ${status}`)
        : Effect.logError(`${request.method} ${path} answered ${status}`, cause)
    return HttpApp.appendPreResponseHandler(stamp(requestId)).pipe(
      Effect.zipRight(app),
      Effect.tap((response) => response.status >= 500 ? failed(response.status) : Effect.void),
      Effect.catchAllCause((cause) => {
        const [response, stripped] = HttpServerError.causeResponseStripped(cause)
        return Effect.as(
          response.status >= 500 ? failed(response.status, Option.getOrElse(stripped, () => cause)) : Effect.void,
          response
        )
      }),
      Effect.annotateLogs("requestId", requestId)
    )
  })
