import { HttpClient, HttpClientRequest } from "@effect/platform"
import { DispatchPayload } from "@pipeweave/domain/Dispatch"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Duration, Effect, Option, Schema } from "effect"
import type { DispatchContext } from "../pipeline/PipelineReads.js"
import type { ClaimedRun } from "../queue/Claim.js"
import { RunResults } from "../queue/RunResults.js"
import { TaskQueue } from "../queue/TaskQueue.js"
import { SqlClient } from "@effect/sql"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"

/** Credentials outlive the task's timeout by this much, so late heartbeats and callbacks still verify (and get 409s). */
const CREDENTIAL_MARGIN_SECONDS = 15 * 60
const DISPATCH_MARGIN = Duration.seconds(30)
const BACK_PRESSURE_DELAY_MS = 1000

/** How one dispatch ended, from the orchestrator's side. */
export type DispatchOutcome = "delivered" | "back-pressure" | "failed" | "abandoned"

/**
 * Sends a claimed run to a worker: `POST {baseUrl}/tasks/{taskId}` with metadata only. The
 * callback is authoritative; the dispatch answer only matters when it says the worker never
 * started (refused connection, an error status while still `dispatching`) or asks to back off
 * (429/503: requeued without using an attempt).
 */
export class Dispatcher extends Effect.Service<Dispatcher>()("@pipeweave/orchestrator/Dispatcher", {
  effect: Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const crypto = yield* Crypto
    const backends = yield* StorageBackends
    const queue = yield* TaskQueue
    const results = yield* RunResults
    const sql = yield* SqlClient.SqlClient

    const payloadFor = (claimed: ClaimedRun, context: DispatchContext | undefined, nowMs: number) =>
      Effect.gen(function*() {
        const { run } = claimed
        const scope = StorageKeys.runScope(run.id, run.pipelineRunId)
        const ttl = claimed.timeoutSeconds + CREDENTIAL_MARGIN_SECONDS
        const backend = yield* Option.match(backends.get(run.storageBackend), {
          onNone: () => Effect.dieMessage(`storage backend '${run.storageBackend}' of ${run.id} is no longer configured`),
          onSome: (b) => Effect.succeed(b.config)
        })
        return new DispatchPayload({
          runId: run.id,
          taskId: run.taskId,
          pipelineRunId: run.pipelineRunId,
          attempt: run.attempt,
          codeVersion: run.codeVersion ?? 1,
          codeHash: run.codeHash ?? "0000000000000000",
          inputPath: run.inputPath,
          upstream: context?.upstream ?? {},
          previousAttempts: claimed.previousAttempts
            .filter((a) => a.attempt < run.attempt && a.error !== null)
            .map((a) => ({
              attempt: a.attempt,
              error: a.error ?? "",
              ...(a.errorCode === null ? {} : { errorCode: a.errorCode }),
              timestamp: a.endedAt ?? a.startedAt
            })),
          heartbeatIntervalMs: run.heartbeatIntervalMs ?? 60_000,
          timeoutSeconds: claimed.timeoutSeconds,
          allowedNext: context?.allowedNext ?? claimed.allowedNext,
          outputPath: StorageKeys.output(scope, run.id),
          assetsPrefix: StorageKeys.assetsPrefix(scope, run.id),
          logsPath: StorageKeys.logs(scope, run.id),
          storageToken: yield* crypto.sealStorageToken({ runId: run.id, backend }, nowMs, ttl),
          callbackToken: yield* crypto.signCredential({ _tag: "Run", runId: run.id, attempt: run.attempt }, nowMs, ttl)
        })
      })

    const markUnreachable = (workerUrl: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (at) =>
        sql`UPDATE service_instances SET unreachable_since = COALESCE(unreachable_since, ${new Date(at)})
            WHERE base_url = ${workerUrl}`).pipe(Effect.orDie)

    const failBeforeStart = (claimed: ClaimedRun, error: string) =>
      results.fail(
        claimed.run.id,
        claimed.run.attempt,
        { error, errorCode: ErrorCodes.dispatchFailed, retryable: true, retryAfterMs: null, logsPath: null },
        ["dispatching"]
      ).pipe(
        Effect.as<DispatchOutcome>("failed"),
        Effect.catchTags({ NotFound: () => Effect.succeed<DispatchOutcome>("abandoned"), Conflict: () => Effect.succeed<DispatchOutcome>("abandoned") })
      )

    const dispatch = (claimed: ClaimedRun, context?: DispatchContext): Effect.Effect<DispatchOutcome> =>
      Effect.gen(function*() {
        const { run, workerUrl } = claimed
        if (workerUrl === null) {
          return yield* failBeforeStart(claimed, `no instance of the task's service is registered`)
        }
        const payload = yield* payloadFor(claimed, context, yield* Clock.currentTimeMillis)
        const url = `${workerUrl.replace(/\/$/, "")}/tasks/${encodeURIComponent(run.taskId)}`
        const request = HttpClientRequest.post(url).pipe(
          HttpClientRequest.bodyUnsafeJson(Schema.encodeSync(DispatchPayload)(payload))
        )
        const response = yield* client.execute(request).pipe(
          Effect.timeout(Duration.sum(Duration.seconds(claimed.timeoutSeconds), DISPATCH_MARGIN)),
          Effect.scoped,
          Effect.either
        )
        if (response._tag === "Left") {
          if (response.left._tag === "RequestError") yield* markUnreachable(workerUrl)
          const reason = response.left._tag === "TimeoutException" ? "no answer before the task's timeout" : response.left.message
          return yield* failBeforeStart(claimed, `cannot reach worker at ${workerUrl}: ${reason}`)
        }
        const status = response.right.status
        if (status >= 200 && status < 300) return "delivered"
        if (status === 429 || status === 503) {
          yield* queue.requeue(run.id, run.attempt, BACK_PRESSURE_DELAY_MS)
          return "back-pressure"
        }
        const body = yield* response.right.text.pipe(Effect.orElseSucceed(() => ""))
        return yield* failBeforeStart(claimed, `worker at ${workerUrl} answered ${status}: ${describeBody(body)}`)
      }).pipe(Effect.withSpan("Dispatcher.dispatch", { attributes: { runId: claimed.run.id } }))

    return { dispatch } as const
  })
}) {}

const describeBody = (body: string): string => {
  const parsed = Option.liftThrowable(JSON.parse)(body)
  const message = Option.flatMap(parsed, (json) =>
    typeof json === "object" && json !== null && typeof json.message === "string"
      ? Option.some(json.message as string)
      : Option.none())
  return Option.getOrElse(message, () => body.slice(0, 500))
}
