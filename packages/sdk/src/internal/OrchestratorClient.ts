import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { CallbackPayload, HeartbeatRequest, HeartbeatResult, ProgressRequest } from "@pipeweave/domain/Callback"
import { IdempotencyDecision, IdempotencyRequest } from "@pipeweave/domain/Idempotency"
import { RegisterRequest, RegisterResponse } from "@pipeweave/domain/Registration"
import { Context, Data, Duration, Effect, Layer, Schema } from "effect"

/** Which worker → orchestrator call failed. */
export type Operation = "register" | "heartbeat" | "progress" | "idempotency" | "callback"

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
 * The orchestrator endpoints a worker calls (`/api/register`, `/api/heartbeat`, `/api/progress`,
 * `/api/idempotency`, `/api/callback/:runId`).
 */
export interface OrchestratorClientShape {
  readonly register: (body: RegisterRequest, credential: string) => Effect.Effect<RegisterResponse, OrchestratorError>
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
  readonly callback: (runId: string, body: CallbackPayload, token: string) => Effect.Effect<void, OrchestratorError>
}

export class OrchestratorClient extends Context.Tag("@pipeweave/sdk/OrchestratorClient")<
  OrchestratorClient,
  OrchestratorClientShape
>() {}

const requestTimeout = Duration.seconds(30)

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

export const makeOrchestratorClient = (baseUrl: string): Effect.Effect<OrchestratorClientShape, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (http) => {
    const root = baseUrl.replace(/\/+$/, "")
    const call = <A, I, O>(
      operation: Operation,
      path: string,
      schema: Schema.Schema<A, I>,
      body: A,
      token: string,
      onOk: (response: HttpClientResponse.HttpClientResponse) => Effect.Effect<O, unknown>
    ): Effect.Effect<O, OrchestratorError> => {
      const fail = (status: number | undefined, message: string, retryable: boolean) =>
        new OrchestratorError({ operation, status, message, retryable })
      return HttpClientRequest.post(root + path).pipe(
        HttpClientRequest.bearerToken(token),
        HttpClientRequest.schemaBodyJson(schema)(body),
        Effect.mapError((e) => fail(undefined, `cannot encode the ${operation} request: ${String(e.reason.error)}`, false)),
        Effect.flatMap((request) =>
          http.execute(request).pipe(Effect.mapError((e) => fail(undefined, e.message, true)))
        ),
        Effect.flatMap((response) =>
          response.status >= 200 && response.status < 300
            ? onOk(response).pipe(Effect.mapError((e) =>
              fail(response.status, `unexpected ${operation} answer: ${e instanceof Error ? e.message : String(e)}`, false)
            ))
            : Effect.flatMap(
              response.text.pipe(Effect.orElseSucceed(() => "")),
              (text) => Effect.fail(fail(response.status, describeAnswer(response.status, text), isRetryableStatus(response.status)))
            )
        ),
        Effect.scoped,
        Effect.timeoutFail({
          duration: requestTimeout,
          onTimeout: () => fail(undefined, `no answer within ${Duration.format(requestTimeout)}`, true)
        })
      )
    }
    const decode = <A, I>(schema: Schema.Schema<A, I>) => (response: HttpClientResponse.HttpClientResponse) =>
      Effect.flatMap(response.json, Schema.decodeUnknown(schema))
    return {
      register: (body, credential) =>
        call("register", "/api/register", RegisterRequest, body, credential, decode(RegisterResponse)),
      heartbeat: (body, token) => call("heartbeat", "/api/heartbeat", HeartbeatRequest, body, token, decode(HeartbeatResult)),
      progress: (body, token) => call("progress", "/api/progress", ProgressRequest, body, token, decode(HeartbeatResult)),
      idempotency: (body, token) =>
        call("idempotency", "/api/idempotency", IdempotencyRequest, body, token, decode(IdempotencyDecision)),
      callback: (runId, body, token) =>
        call("callback", `/api/callback/${encodeURIComponent(runId)}`, CallbackPayload, body, token, () => Effect.void)
    }
  })

export const layerOrchestratorClient = (baseUrl: string): Layer.Layer<OrchestratorClient, never, HttpClient.HttpClient> =>
  Layer.effect(OrchestratorClient, makeOrchestratorClient(baseUrl))
