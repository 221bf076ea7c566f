import { FetchHttpClient, HttpApi, HttpApiClient, HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import { HealthApi } from "@pipeweave/domain/api/HealthApi"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect, Either, ParseResult } from "effect"
import type { StoredOrchestrator } from "./OrchestratorStore"

const REQUEST_TIMEOUT = "15 seconds"

type Target = Pick<StoredOrchestrator, "url" | "apiKey">

/**
 * The API key as Bearer token, a timeout, and no tracing headers (`traceparent`, `b3`): the
 * orchestrator's CORS grants only `authorization` and `content-type`, and any other header would
 * make the browser's preflight fail.
 */
const withKeyAndTimeout = (orchestrator: Target) => (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  client.pipe(
    HttpClient.withTracerPropagation(false),
    HttpClient.mapRequest((request) =>
      orchestrator.apiKey ? HttpClientRequest.bearerToken(request, orchestrator.apiKey) : request
    ),
    HttpClient.transform((response, request) =>
      Effect.timeoutFail(response, {
        duration: REQUEST_TIMEOUT,
        onTimeout: () =>
          new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error("no answer in time") })
      })
    )
  )

const makeClient = (orchestrator: Target) =>
  HttpApiClient.make(OrchestratorApi, { baseUrl: orchestrator.url, transformClient: withKeyAndTimeout(orchestrator) })

/** The client derived from the orchestrator's HTTP contract (`@pipeweave/domain`), as the CLI uses it. */
export type OrchestratorClient = Effect.Effect.Success<ReturnType<typeof makeClient>>

/** Why a call to an orchestrator failed, in words for the page. */
export interface CallFailure {
  readonly kind: "unreachable" | "unauthorized" | "answer" | "unexpected"
  readonly status?: number
  readonly message: string
}

const messageOf = (value: unknown): string | undefined =>
  typeof value === "object" && value !== null && typeof (value as { message?: unknown }).message === "string"
    ? (value as { message: string }).message
    : undefined

const describe = (error: unknown): Effect.Effect<CallFailure> => {
  if (HttpClientError.isHttpClientError(error)) {
    if (error._tag === "RequestError") {
      return Effect.succeed({ kind: "unreachable", message: "the orchestrator could not be reached" })
    }
    const status = error.response.status
    return error.response.json.pipe(
      Effect.option,
      Effect.map((body) => ({
        kind: status === 401 ? "unauthorized" as const : "answer" as const,
        status,
        message: body._tag === "Some" && messageOf(body.value) ? `HTTP ${status}: ${messageOf(body.value)}` : `HTTP ${status}`
      }))
    )
  }
  if (ParseResult.isParseError(error)) {
    return Effect.succeed({ kind: "unexpected", message: "unexpected answer (is this a PipeWeave orchestrator of this version?)" })
  }
  const tag = (error as { _tag?: unknown })._tag
  return Effect.succeed({
    kind: tag === "Unauthorized" ? "unauthorized" : "answer",
    message: messageOf(error) ?? String(error)
  })
}

const settle = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>): Promise<Either.Either<A, CallFailure>> =>
  effect.pipe(
    Effect.catchAll((error) => Effect.flip(describe(error))),
    Effect.either,
    Effect.provide(FetchHttpClient.layer),
    Effect.runPromise
  )

/**
 * Runs `f` with a client for `orchestrator` (its API key sent as Bearer token) and resolves to
 * `Right(result)` or `Left(failure)`; the promise itself never rejects.
 */
export const callOrchestrator = <A, E>(
  orchestrator: Pick<StoredOrchestrator, "url" | "apiKey">,
  f: (client: OrchestratorClient) => Effect.Effect<A, E, never>
): Promise<Either.Either<A, CallFailure>> => settle(Effect.flatMap(makeClient(orchestrator), f))

/**
 * `GET /health` through the contract's `HealthApi`. `HttpApiClient.make(OrchestratorApi)` leaves out
 * top-level groups when there are two (health, metrics), so health gets a client of its own.
 */
export const callHealth = (orchestrator: Target) =>
  settle(
    HttpApiClient.make(HttpApi.make("pipeweave").add(HealthApi), {
      baseUrl: orchestrator.url,
      transformClient: withKeyAndTimeout(orchestrator)
    }).pipe(Effect.flatMap((client) => client.health()))
  )

const encodeKey = (key: string): string => key.split("/").map(encodeURIComponent).join("/")

/**
 * `GET /api/storage/<key>` (an input, output, asset or log). The derived client does not fill the
 * contract's `*` path parameter, so the wildcard is substituted in the outgoing request (as the CLI does).
 */
export const readStored = (orchestrator: Target, key: string) =>
  settle(
    HttpApiClient.make(OrchestratorApi, {
      baseUrl: orchestrator.url,
      transformClient: (client) =>
        withKeyAndTimeout(orchestrator)(client).pipe(
          HttpClient.mapRequest((request) =>
            HttpClientRequest.setUrl(request, request.url.replace(/\/api\/storage\/\*$/, `/api/storage/${encodeKey(key)}`))
          )
        )
    }).pipe(Effect.flatMap((client) => client.storage.read({ path: { path: key }, urlParams: {} })))
  )
