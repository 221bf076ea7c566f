import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

/** Whether the request carries a body (a non-zero Content-Length or a Transfer-Encoding). */
export const hasBody = (headers: Readonly<Record<string, string | undefined>>): boolean =>
  headers["transfer-encoding"] !== undefined ||
  (headers["content-length"] !== undefined && headers["content-length"].trim() !== "0")

/** Whether a content type is JSON (`application/json`, any parameters, any case). */
export const isJson = (contentType: string): boolean =>
  contentType.split(";")[0]!.trim().toLowerCase() === "application/json"

/**
 * Refuses with 415 every request that declares a content type other than `application/json`, or
 * that has a body and no content type, before anything reads it. HTML forms (url-encoded,
 * multipart, text/plain) therefore never reach a handler: a page on another site cannot post to
 * the API without a CORS preflight.
 */
export const contentTypeGuard = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const contentType = request.headers["content-type"]
    if (contentType === undefined ? !hasBody(request.headers) : isJson(contentType)) return app
    return HttpServerResponse.json(
      {
        _tag: "UnsupportedMediaType",
        message: contentType === undefined
          ? "the request has a body but no content-type: the API accepts only application/json"
          : `the API accepts only application/json request bodies (got content-type "${contentType.slice(0, 100)}")`
      },
      { status: 415 }
    ).pipe(Effect.orDie)
  })
