/**
 * Fixes applied to the OpenAPI document Effect generates from `OrchestratorApi` (as its
 * `OpenApi.Transform`), so the served document is valid OpenAPI 3.1.
 */

const KEY_DESCRIPTION =
  "Storage key, e.g. runs/prun_x/outputs/trun_y.json: the rest of the URL, its '/' separators not percent-encoded"

/**
 * OpenAPI has no wildcard segment: a route ending in `/*` (the storage read) is documented as
 * `/{path}` with a required `path` parameter instead of one named `*`.
 */
export const wildcardAsPathParameter = (spec: Record<string, any>): Record<string, any> => {
  const paths: Record<string, any> = {}
  for (const [route, item] of Object.entries<Record<string, any>>(spec.paths ?? {})) {
    if (!route.endsWith("/*")) {
      paths[route] = item
      continue
    }
    const operations: Record<string, any> = {}
    for (const [method, operation] of Object.entries<any>(item)) {
      operations[method] = {
        ...operation,
        parameters: (operation.parameters ?? []).map((parameter: any) =>
          parameter.in === "path" && parameter.name === "*"
            ? { ...parameter, name: "path", required: true, description: KEY_DESCRIPTION }
            : parameter
        )
      }
    }
    paths[`${route.slice(0, -1)}{path}`] = operations
  }
  return { ...spec, paths }
}

/**
 * Effect marks every `Schema.Unknown` with `$id: "/schemas/unknown"`; two components built on it
 * (`Json`, `Metadata`) then declare the same `$id`, which JSON Schema 2020-12 forbids. The ids
 * name nothing, so they are dropped.
 */
export const withoutKeywordIds = (value: any): any => {
  if (Array.isArray(value)) return value.map(withoutKeywordIds)
  if (value === null || typeof value !== "object") return value
  const result: Record<string, any> = {}
  for (const [key, inner] of Object.entries(value)) {
    if (key === "$id" && typeof inner === "string" && inner.startsWith("/schemas/")) continue
    result[key] = withoutKeywordIds(inner)
  }
  return result
}

/** Every fix, in order. */
export const openApiTransform = (spec: Record<string, any>): Record<string, any> =>
  withoutKeywordIds(wildcardAsPathParameter(spec))
