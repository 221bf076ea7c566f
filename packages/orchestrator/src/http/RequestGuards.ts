import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { OrchestratorConfig } from "../Config.js"
import { bodyLimit } from "./BodyLimit.js"
import { contentTypeGuard } from "./ContentTypeGuard.js"
import { cors } from "./Cors.js"
import { crossSiteGuard } from "./CrossSiteGuard.js"

/**
 * What every request passes before an endpoint: CORS as `CORS_ORIGINS` sets it, no writes from
 * pages of other origins (403), `application/json` bodies only (415), at most `MAX_BODY_BYTES` of
 * them (413), nested at most `MAX_JSON_DEPTH` levels (400).
 */
export const requestGuards = HttpApiBuilder.middleware(
  Effect.map(OrchestratorConfig, (settings) => {
    const withCors = cors(settings)
    const sameSite = crossSiteGuard(settings.corsOrigins)
    const limit = bodyLimit(settings.maxBodyBytes)
    return (app) => withCors(sameSite(contentTypeGuard(limit(app))))
  })
)
