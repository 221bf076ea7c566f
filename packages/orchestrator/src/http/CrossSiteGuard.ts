import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

const SAFE = new Set(["GET", "HEAD", "OPTIONS"])

const sameOrigin = (origin: string, host: string | undefined): boolean => {
  try {
    return host !== undefined && new URL(origin).host === host
  } catch {
    return false
  }
}

/**
 * Refuses with 403 a write (any method but GET, HEAD, OPTIONS) that a browser sent from a page of
 * another origin than the orchestrator's own and the `CORS_ORIGINS` list: browsers send `Origin`
 * on such requests, even on the bodyless POSTs that need no preflight. Clients that are not
 * browsers send no `Origin` and are not affected.
 */
export const crossSiteGuard = (allowedOrigins: ReadonlyArray<string>) =>
<E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    const origin = request.headers["origin"]
    if (
      origin === undefined || SAFE.has(request.method) || allowedOrigins.includes("*") ||
      allowedOrigins.includes(origin) || sameOrigin(origin, request.headers["host"])
    ) return app
    return HttpServerResponse.json(
      {
        _tag: "Forbidden",
        message: `requests from the origin ${origin.slice(0, 200)} may not change anything here; list it in CORS_ORIGINS to allow it`
      },
      { status: 403 }
    ).pipe(Effect.orDie)
  })
