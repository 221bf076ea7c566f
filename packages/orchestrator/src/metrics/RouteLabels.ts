import { HttpApi } from "@effect/platform"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import * as FindMyWay from "find-my-way-ts"

/** Routes served beside the API contract. */
const EXTRA_ROUTES: ReadonlyArray<readonly [string, `/${string}`]> = [
  ["GET", "/docs"],
  ["GET", "/openapi.json"]
]

/** The label of a request that matches no route, so scanners cannot grow the label set. */
export const UNMATCHED_ROUTE = "unmatched"

/**
 * Maps a request to the route pattern it matched (`/api/task-runs/:id`), never the raw URL, so
 * metric labels stay bounded whatever ids and paths clients send.
 */
export const makeRouteLabels = () => {
  const router = FindMyWay.make<string>()
  HttpApi.reflect(OrchestratorApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => router.on(endpoint.method, endpoint.path, endpoint.path)
  })
  for (const [method, path] of EXTRA_ROUTES) router.on(method, path, path)
  return (method: string, url: string): string => {
    const path = url.split("?", 1)[0] ?? ""
    return router.find(method, path)?.handler ?? UNMATCHED_ROUTE
  }
}
