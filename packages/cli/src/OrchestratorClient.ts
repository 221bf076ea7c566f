import { type HttpApi, HttpApiClient, HttpClient, HttpClientError, HttpClientRequest } from "@effect/platform"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { Effect, identity, Option, ParseResult, Redacted } from "effect"
import type { Simplify } from "effect/Types"
import type { ApiOptions } from "./ApiOptions.js"
import { CliFailure } from "./CliFailure.js"

const REQUEST_TIMEOUT = "30 seconds"

const transformClient = (
  token: Option.Option<Redacted.Redacted<string>>,
  mapRequest: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest
) =>
(client: HttpClient.HttpClient) =>
  client.pipe(
    HttpClient.mapRequest((request) =>
      Option.match(token, {
        onNone: () => mapRequest(request),
        onSome: (value) => mapRequest(HttpClientRequest.bearerToken(request, Redacted.value(value)))
      })
    ),
    HttpClient.transform((response, request) =>
      Effect.timeoutFail(response, {
        duration: REQUEST_TIMEOUT,
        onTimeout: () =>
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: new Error(`no answer within ${REQUEST_TIMEOUT}`)
          })
      })
    )
  )

type Client = typeof OrchestratorApi extends HttpApi.HttpApi<infer _Id, infer Groups, infer ApiError, infer _R>
  ? Simplify<HttpApiClient.Client<Groups, ApiError, never>>
  : never
type AnyMethod = (request: unknown) => Effect.Effect<unknown, unknown>

/**
 * The client derived from the orchestrator's HTTP contract, each endpoint's encoders and decoders
 * built on its first call: a command calls one or two of the contract's endpoints, and deriving
 * all of them cost a CLI start-up ~30 ms.
 */
const makeClient = (
  baseUrl: string,
  token: Option.Option<Redacted.Redacted<string>>,
  mapRequest: (request: HttpClientRequest.HttpClientRequest) => HttpClientRequest.HttpClientRequest = identity
): Effect.Effect<Client, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (httpClient) => {
    const transformed = transformClient(token, mapRequest)(httpClient)
    const client: Record<string, Record<string, AnyMethod>> = {}
    for (const group of Object.values(OrchestratorApi.groups) as ReadonlyArray<{ identifier: string; endpoints: object }>) {
      const methods: Record<string, AnyMethod> = (client[group.identifier] = {})
      for (const name of Object.keys(group.endpoints)) {
        let built: AnyMethod | undefined
        const derive = Effect.suspend(() =>
          built === undefined
            ? Effect.map(
              HttpApiClient.endpoint(OrchestratorApi, {
                group: group.identifier as never,
                endpoint: name as never,
                httpClient: transformed,
                baseUrl
              }) as Effect.Effect<unknown>,
              (method) => (built = method as AnyMethod)
            )
            : Effect.succeed(built)
        )
        methods[name] = (request) => Effect.flatMap(derive, (method) => method(request))
      }
    }
    return client as unknown as Client
  })

/** The client derived from the orchestrator's HTTP contract. */
export type OrchestratorClient = Effect.Effect.Success<ReturnType<typeof makeClient>>

const baseUrlOf = (url: string): Effect.Effect<string, CliFailure> => {
  const parsed = URL.canParse(url) ? new URL(url) : undefined
  return parsed && (parsed.protocol === "http:" || parsed.protocol === "https:")
    ? Effect.succeed(url.replace(/\/+$/, ""))
    : Effect.fail(CliFailure.usage(`--url must be an http(s) URL such as http://localhost:3000 (got "${url}")`))
}

const rootCause = (cause: unknown): string => {
  let current = cause
  while (current instanceof Error && current.cause instanceof Error) current = current.cause
  if (current instanceof Error) {
    const code = (current as { code?: unknown }).code
    return typeof code === "string" && !current.message.includes(code) ? `${code} ${current.message}` : current.message
  }
  return String(current)
}

const messageOf = (body: unknown): string | undefined =>
  typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string"
    ? (body as { message: string }).message
    : undefined

const describe = (url: string, error: unknown): Effect.Effect<CliFailure> => {
  if (HttpClientError.isHttpClientError(error)) {
    if (error._tag === "RequestError") {
      return Effect.succeed(CliFailure.failed(
        `cannot reach the orchestrator at ${url} (${rootCause(error.cause)}); ` +
          "is it running? Point --url or PIPEWEAVE_ORCHESTRATOR_URL at it"
      ))
    }
    const status = error.response.status
    return error.response.json.pipe(
      Effect.option,
      Effect.map((body) => {
        const message = Option.flatMapNullable(body, messageOf)
        return CliFailure.failed(Option.match(message, {
          onNone: () => `the orchestrator at ${url} answered HTTP ${status} (is --url pointing at a PipeWeave orchestrator?)`,
          onSome: (text) => `the orchestrator answered HTTP ${status}: ${text}`
        }))
      })
    )
  }
  if (ParseResult.isParseError(error)) {
    return Effect.succeed(CliFailure.failed(
      `unexpected answer from ${url} (is it a PipeWeave orchestrator of this version?): ${error.message.split("\n")[0]}`
    ))
  }
  const tag = (error as { _tag?: unknown })._tag
  const message = messageOf(error) ?? String(error)
  return Effect.succeed(CliFailure.failed(
    tag === "Unauthorized" ? `${message} (pass --token or set PIPEWEAVE_API_TOKEN)` : message
  ))
}

/**
 * Runs `f` against the orchestrator at `options.url` (with `--token` as Bearer credential); every
 * failure (unreachable server, error answer, unexpected body) becomes a one-line `CliFailure`.
 */
export const callOrchestrator = <A, E, R>(
  options: ApiOptions,
  f: (client: OrchestratorClient) => Effect.Effect<A, E, R>
): Effect.Effect<A, CliFailure, R | HttpClient.HttpClient> =>
  Effect.flatMap(baseUrlOf(options.url), (url) =>
    makeClient(url, options.token).pipe(
      Effect.flatMap(f),
      Effect.catchAll((error) => error instanceof CliFailure ? Effect.fail(error) : Effect.flip(describe(url, error)))
    ))

const encodeKey = (key: string): string => key.split("/").map(encodeURIComponent).join("/")

/**
 * `GET /api/storage/<key>`. The derived client does not fill the contract's `*` path parameter,
 * so the wildcard is substituted in the outgoing request.
 */
export const readStorage = (options: ApiOptions, key: string) =>
  Effect.flatMap(baseUrlOf(options.url), (url) =>
    makeClient(url, options.token, (request) =>
      HttpClientRequest.setUrl(request, request.url.replace(/\/api\/storage\/\*$/, `/api/storage/${encodeKey(key)}`))).pipe(
        Effect.flatMap((client) => client.storage.read({ path: { path: key }, urlParams: {} })),
        Effect.catchAll((error) => Effect.flip(describe(url, error)))
      ))
