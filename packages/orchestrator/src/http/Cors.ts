import { type HttpApp, HttpMiddleware } from "@effect/platform"
import type { OrchestratorSettings } from "../Config.js"
import { REQUEST_ID_HEADER } from "./RequestIds.js"

/**
 * CORS as `CORS_ORIGINS` sets it: none at all when unset (no Access-Control-* header, preflights
 * not granted); `*` for any origin; otherwise the listed origins only, each allowed to send the
 * Authorization header.
 */
export const cors = (settings: Pick<OrchestratorSettings, "corsOrigins">) => {
  const origins = settings.corsOrigins
  if (origins.length === 0) return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> => app
  return HttpMiddleware.cors({
    allowedOrigins: origins.includes("*") ? [] : (origin: string) => origins.includes(origin),
    allowedMethods: ["GET", "HEAD", "POST"],
    allowedHeaders: ["authorization", "content-type"],
    exposedHeaders: [REQUEST_ID_HEADER],
    maxAge: 600
  })
}
