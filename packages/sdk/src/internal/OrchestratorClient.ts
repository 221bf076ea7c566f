import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { HttpAgent } from "@effect/platform-node/NodeHttpClient"
import { postJson } from "@pipeweave/storage/PostJson"
import { plainDecoder, plainEncoder } from "@pipeweave/domain/PlainDecode"
import { tracingEnabled } from "@pipeweave/domain/TraceContext"
import { CallbackGroupRequest, CallbackGroupResult, type CallbackItem, type CallbackItemResult } from "@pipeweave/domain/CallbackGroup"
import { CallbackPayload, HeartbeatRequest, HeartbeatResult, ProgressRequest } from "@pipeweave/domain/Callback"
import { IdempotencyDecision, IdempotencyRequest } from "@pipeweave/domain/Idempotency"
import { DeregisterRequest, DeregisterResponse, RegisterRequest, RegisterResponse } from "@pipeweave/domain/Registration"
import { makeCallbackGroups } from "./CallbackGroups.js"
import { Context, Data, Duration, Effect, Either, Layer, type ParseResult, Schema } from "effect"

/** Which worker → orchestrator call failed. */
export type Operation = "register" | "deregister" | "heartbeat" | "progress" | "idempotency" | "callback" | "callbacks"

/** A worker → orchestrator call failed; `retryable` for network errors and 5xx/408/429 answers. */
export class OrchestratorError extends Data.TaggedError("OrchestratorError")<{
  readonly operation: Operation
  readonly status: number | undefined
  readonly message: string
  readonly retryable: boolean
}> {}

/** Answers worth retrying: server errors, request timeouts and back-pressure. */
export const isRetryableStatus = (status: number): boolean => status >= 500 || status === 408 || status === 429

/**
 * The orchestrator endpoints a worker calls (`/api/register`, `/api/deregister`, `/api/heartbeat`, `/api/progress`,
 * `/api/idempotency`, `/api/callback/:runId`, `/api/callbacks`).
 */
export interface OrchestratorClientShape {
  readonly register: (body: RegisterRequest, credential: string) => Effect.Effect<RegisterResponse, OrchestratorError>
  readonly deregister: (body: DeregisterRequest, credential: string) => Effect.Effect<DeregisterResponse, OrchestratorError>
  readonly heartbeat: (
    body: typeof HeartbeatRequest.Type,
    token: string
  ) => Effect.Effect<typeof HeartbeatResult.Type, OrchestratorError>
  readonly progress: (
    body: typeof ProgressRequest.Type,
    token: string
  ) => Effect.Effect<typeof HeartbeatResult.Type, OrchestratorError>
  readonly idempotency: (
    body: typeof IdempotencyRequest.Type,
    token: string
  ) => Effect.Effect<IdempotencyDecision, OrchestratorError>
  /** Delivers a completion callback: alone, or grouped with others once `useGroupedCallbacks(true)`. */
  readonly callback: (runId: string, body: CallbackPayload, token: string) => Effect.Effect<void, OrchestratorError>
  /** Sends callbacks in one `POST /api/callbacks` (each item carries its own run credential). */
  readonly callbacks: (items: ReadonlyArray<CallbackItem>) => Effect.Effect<ReadonlyArray<CallbackItemResult>, OrchestratorError>
  /** Whether `callback` may group callbacks: the orchestrator said at registration that it serves them. */
  readonly useGroupedCallbacks: (enabled: boolean) => Effect.Effect<void>
  /** How many executions run on this worker (a callback with none beside it leaves at once). */
  readonly countRunning: (running: () => number) => Effect.Effect<void>
}

export class OrchestratorClient extends Context.Tag("@pipeweave/sdk/OrchestratorClient")<
  OrchestratorClient,
  OrchestratorClientShape
>() {}

const requestTimeout = Duration.seconds(30)
const noAnswer = `no answer within ${Duration.format(requestTimeout)}`

/** More than any answer of the orchestrator to a worker's call; what is longer fails to decode. */
const ANSWER_KEPT_BYTES = 4 * 1_048_576

/** An answer's status and text. */
interface Answer {
  readonly status: number
  readonly text: string
}

const describeAnswer = (status: number, text: string): string => {
  try {
    const body = JSON.parse(text) as { readonly _tag?: unknown; readonly field?: unknown; readonly message?: unknown }
    if (typeof body.message === "string") {
      const field = typeof body.field === "string" ? `${body.field}: ` : ""
      const tag = typeof body._tag === "string" ? ` ${body._tag}` : ""
      return `HTTP ${status}${tag}: ${field}${body.message}`
    }
  } catch {
    return `HTTP ${status}${text.length > 0 ? `: ${text.slice(0, 500)}` : ""}`
  }
  return `HTTP ${status}${text.length > 0 ? `: ${text.slice(0, 500)}` : ""}`
}

const endpoint = <A, I, O, OI>(operation: Operation, request: Schema.Schema<A, I>, answer: Schema.Schema<O, OI> | undefined) => ({
  operation,
  encode: plainEncoder(request),
  decode: answer === undefined ? undefined : plainDecoder(answer)
})

const endpoints = {
  register: endpoint("register", RegisterRequest, RegisterResponse),
  deregister: endpoint("deregister", DeregisterRequest, DeregisterResponse),
  heartbeat: endpoint("heartbeat", HeartbeatRequest, HeartbeatResult),
  progress: endpoint("progress", ProgressRequest, HeartbeatResult),
  idempotency: endpoint("idempotency", IdempotencyRequest, IdempotencyDecision),
  callback: endpoint<CallbackPayload, typeof CallbackPayload.Encoded, void, void>("callback", CallbackPayload, undefined),
  callbacks: endpoint("callbacks", CallbackGroupRequest, CallbackGroupResult)
}

export const makeOrchestratorClient = (
  baseUrl: string
): Effect.Effect<OrchestratorClientShape, never, HttpClient.HttpClient | HttpAgent> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const agents = yield* HttpAgent
    const root = baseUrl.replace(/\/+$/, "")

    /**
     * POSTs `text` and reads the answer within `requestTimeout`: through `HttpClient` when spans go
     * anywhere (its client span, the trace passed on in `traceparent`), else through Node's client
     * (`postJson`). An answer whose body was cut off is its status with no text, as `HttpClient`'s
     * was; a transport error before any answer, or no answer in time, is the message given.
     */
    const exchange = (url: string, text: string, token: string | undefined): Effect.Effect<Answer, string> =>
      Effect.flatMap(tracingEnabled, (traced) =>
        traced
          ? http.execute(HttpClientRequest.post(url).pipe(
            token === undefined ? (r) => r : HttpClientRequest.bearerToken(token),
            HttpClientRequest.bodyText(text, "application/json")
          )).pipe(
            Effect.flatMap((response) =>
              Effect.map(response.text.pipe(Effect.orElseSucceed(() => "")), (body) => ({ status: response.status, text: body }))
            ),
            Effect.mapError((e) => e.message),
            Effect.timeoutFail({ duration: requestTimeout, onTimeout: () => noAnswer })
          )
          : Effect.flatMap(
            postJson(agents, url, text, {
              keptBytes: ANSWER_KEPT_BYTES,
              timeoutMs: Duration.toMillis(requestTimeout),
              ...(token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } })
            }),
            (reply) => {
              switch (reply._tag) {
                case "Failed":
                  return Effect.fail(`Transport error (POST ${url}): ${reply.error.message}`)
                case "TimedOut":
                  return Effect.fail(noAnswer)
                case "Lost":
                  return Effect.succeed({ status: reply.status, text: "" })
                case "Answered":
                  return Effect.succeed(reply)
              }
            }
          ))

    const call = <A, I, O>(
      { decode, encode, operation }: {
        readonly operation: Operation
        readonly encode: (a: A) => Either.Either<I, ParseResult.ParseError>
        readonly decode: ((u: unknown) => Either.Either<O, ParseResult.ParseError>) | undefined
      },
      path: string,
      body: A,
      token: string | undefined
    ): Effect.Effect<O, OrchestratorError> =>
      // Built when run, not when made: an attempt makes its heartbeat call up front and most never send it.
      Effect.suspend(() => {
        const fail = (status: number | undefined, message: string, retryable: boolean) =>
          new OrchestratorError({ operation, status, message, retryable })
        const encoded = encode(body)
        if (Either.isLeft(encoded)) {
          return Effect.fail(fail(undefined, `cannot encode the ${operation} request: ${encoded.left.message}`, false))
        }
        const answered = ({ status, text }: Answer): Effect.Effect<O, OrchestratorError> => {
          if (status < 200 || status >= 300) return Effect.fail(fail(status, describeAnswer(status, text), isRetryableStatus(status)))
          if (decode === undefined) return Effect.succeed(undefined as O)
          const answer = Either.flatMap(Either.try({ try: () => JSON.parse(text) as unknown, catch: (e) => e }), decode)
          return Either.isRight(answer)
            ? Effect.succeed(answer.right)
            : Effect.fail(fail(status, `unexpected ${operation} answer: ${answer.left instanceof Error ? answer.left.message : String(answer.left)}`, false))
        }
        return exchange(root + path, JSON.stringify(encoded.right), token).pipe(
          Effect.mapError((message) => fail(undefined, message, true)),
          Effect.flatMap(answered)
        )
      })
    const single = (runId: string, body: CallbackPayload, token: string) =>
      call(endpoints.callback, `/api/callback/${encodeURIComponent(runId)}`, body, token)
    const group = (items: ReadonlyArray<CallbackItem>) =>
      Effect.map(call(endpoints.callbacks, "/api/callbacks", { callbacks: items }, undefined), (answer) => answer.results)
    const groups = makeCallbackGroups({
      single,
      group,
      answered: (status, message) =>
        new OrchestratorError({ operation: "callback", status, message, retryable: isRetryableStatus(status) })
    })
    return {
      register: (body, credential) => call(endpoints.register, "/api/register", body, credential),
      deregister: (body, credential) => call(endpoints.deregister, "/api/deregister", body, credential),
      heartbeat: (body, token) => call(endpoints.heartbeat, "/api/heartbeat", body, token),
      progress: (body, token) => call(endpoints.progress, "/api/progress", body, token),
      idempotency: (body, token) => call(endpoints.idempotency, "/api/idempotency", body, token),
      callback: groups.send,
      callbacks: group,
      useGroupedCallbacks: groups.useGroups,
      countRunning: groups.countRunning
    }
  })

/** The client over node:http, keeping connections to the orchestrator alive between calls. */
export const layerOrchestratorClient = (baseUrl: string): Layer.Layer<OrchestratorClient> =>
  Layer.effect(OrchestratorClient, makeOrchestratorClient(baseUrl)).pipe(
    Layer.provide(NodeHttpClient.layerWithoutAgent.pipe(Layer.provideMerge(NodeHttpClient.makeAgentLayer({ keepAlive: true }))))
  )
