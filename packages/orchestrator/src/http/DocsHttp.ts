import { createRequire } from "node:module"
import { pathToFileURL } from "node:url"
import { HttpApi, HttpApiBuilder, HttpServerResponse, OpenApi } from "@effect/platform"
import { Effect } from "effect"

/** Swagger UI's script and stylesheet as `@effect/platform` ships them (1.9 MB of text). */
interface SwaggerAssets {
  readonly javascript: string
  readonly css: string
}

/**
 * Swagger UI's assets, loaded from the installed `@effect/platform` on the first request: the
 * platform's own `/docs` layer builds its 1.9 MB page when the server starts, which kept ~10 MB
 * resident in every orchestrator whether or not anyone opened the docs.
 */
const loadSwaggerAssets = (): Promise<SwaggerAssets> => {
  const entry = createRequire(import.meta.url).resolve("@effect/platform/HttpApiSwagger")
  const internal = entry.replace(/HttpApiSwagger\.js$/, "internal/httpApiSwagger.js")
  return import(pathToFileURL(internal).href) as Promise<SwaggerAssets>
}

const escapeText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
const scriptJson = (value: unknown) =>
  JSON.stringify(value).replace(/</g, "\\u003c").replace(/[\u2028\u2029]/g, (c) => c === "\u2028" ? "\\u2028" : "\\u2029")

const page = (spec: OpenApi.OpenAPISpec, assets: SwaggerAssets) =>
  `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${escapeText(spec.info.title)} Documentation</title>
  <style>${assets.css}</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script id="swagger-spec" type="application/json">${scriptJson(spec)}</script>
  <script>
    ${assets.javascript}
    window.onload = () => {
      window.ui = SwaggerUIBundle({ spec: JSON.parse(document.getElementById("swagger-spec").textContent), dom_id: "#swagger-ui" });
    };
  </script>
</body>
</html>`

/**
 * The OpenAPI document at `/openapi.json` and Swagger UI at `/docs`. The document is built from the
 * API on the first request for either (~70 ms of CPU the platform's own layer spends at start-up)
 * and kept, as is its JSON.
 */
export const DocsHttp = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const { api } = yield* HttpApi.Api
    const spec = Effect.sync(() => OpenApi.fromApi(api))
    const json = yield* Effect.cached(Effect.flatMap(spec, (document) => Effect.orDie(HttpServerResponse.json(document))))
    yield* router.get("/openapi.json", json)
    yield* router.get(
      "/docs",
      Effect.zip(spec, Effect.tryPromise(loadSwaggerAssets)).pipe(
        Effect.map(([document, assets]) => HttpServerResponse.html(page(document, assets))),
        Effect.orElseSucceed(() =>
          HttpServerResponse.unsafeJson({
            _tag: "NotFound",
            message: "Swagger UI needs @effect/platform installed beside the orchestrator; the OpenAPI document is at /openapi.json"
          }, { status: 404 })
        )
      )
    )
  })
)
