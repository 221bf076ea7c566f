import { HttpApiBuilder, type HttpApp, HttpServerError, HttpServerResponse } from "@effect/platform"
import { Cause, Effect } from "effect"

const describeCause = (cause: unknown): string =>
  cause instanceof Error ? cause.message : typeof cause === "string" ? cause : "unreadable body"

const render = (error: HttpServerError.RequestError | HttpServerError.RouteNotFound) =>
  error._tag === "RouteNotFound"
    ? HttpServerResponse.json(
      { _tag: "RouteNotFound", message: `no endpoint ${error.request.method} ${error.request.url}` },
      { status: 404 }
    )
    : HttpServerResponse.json(
      {
        _tag: "MalformedRequest",
        message: error.reason === "Decode"
          ? `the request body is not valid JSON: ${describeCause(error.cause)}`
          : `the request could not be read: ${describeCause(error.cause)}`
      },
      { status: 400 }
    )

/**
 * Answers the failures that happen before a handler runs (a body that is not JSON, which the
 * API builder turns into a defect; an unknown route) with a JSON body, like every other error.
 */
export const jsonErrors = HttpApiBuilder.middleware((app): HttpApp.Default<never> =>
  Effect.catchAllCause(app, (cause) => {
    const error: unknown = Cause.squash(cause)
    return HttpServerError.isServerError(error) && (error._tag === "RequestError" || error._tag === "RouteNotFound")
      ? Effect.orDie(render(error))
      : Effect.failCause(cause)
  })
)
