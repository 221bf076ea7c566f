import { HttpClient, HttpClientRequest } from "@effect/platform"
import type { DispatchPayload, UpstreamRef } from "@pipeweave/domain/Dispatch"
import { redactUrl, redactUrlsIn } from "@pipeweave/domain/RedactedUrl"
import { type PipelineStructure, predecessorsOf } from "@pipeweave/domain/pipeline/PipelineStructure"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { currentTraceparent, parseTraceparent, tracingEnabled } from "@pipeweave/domain/TraceContext"
import { Crypto } from "@pipeweave/storage/Crypto"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Clock, Context, Deferred, Duration, Effect, Exit, Fiber, Option } from "effect"
import { OrchestratorConfig } from "../Config.js"
import type { ClaimedRun } from "../store/ClaimedRun.js"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { DispatchedRuns } from "./DispatchedRuns.js"
import { parseInline } from "./InlinePayload.js"
import { RunResults } from "./RunResults.js"
import { StructureCache } from "./StructureCache.js"
import { readGroupedAnswer } from "./GroupedAnswer.js"
import { describeWorkerAnswer, transportReply, type WorkerReply } from "./WorkerAnswer.js"

/** Credentials outlive the task's timeout by this much, so late heartbeats and callbacks still verify (and get 409s). */
const CREDENTIAL_MARGIN_SECONDS = 15 * 60
const DISPATCH_MARGIN = Duration.seconds(30)
const BACK_PRESSURE_DELAY_MS = 1000
/** The longest a run waits for an unreachable service before its dispatch is tried again. */
export const UNREACHABLE_MAX_DELAY_MS = 30_000
const UNREACHABLE_MIN_DELAY_MS = 1000

/** The wait before trying a service that has been unreachable for `downForMs` again: as long again, within bounds. */
export const unreachableDelay = (downForMs: number): number =>
  Math.min(UNREACHABLE_MAX_DELAY_MS, Math.max(UNREACHABLE_MIN_DELAY_MS, downForMs))

/** When the claim that picked a run started and ended (`Clock` nanoseconds), and by which orchestrator. */
export interface ClaimTiming {
  readonly startedNs: bigint
  readonly endedNs: bigint
  readonly orchestratorId: string
}

/** How one dispatch ended, from the orchestrator's side. */
export type DispatchOutcome = "delivered" | "back-pressure" | "unreachable" | "failed" | "abandoned"

const upstreamOf = (run: ClaimedRun, structure: PipelineStructure): Record<string, UpstreamRef> => {
  const upstream: Record<string, UpstreamRef> = {}
  for (const from of predecessorsOf(structure).get(run.taskId) ?? []) {
    const done = run.completedSiblings.find((s) => s.taskId === from)
    if (done?.outputPath) {
      upstream[from] = {
        outputPath: done.outputPath,
        assets: done.assets,
        ...(done.outputInline === null ? {} : { output: parseInline(done.outputInline) })
      }
    }
  }
  return upstream
}

/**
 * Sends a claimed run to a worker: `POST {baseUrl}/tasks/{taskId}` with metadata and small payloads
 * inline. The callback is authoritative; the dispatch answer only matters when it says the worker
 * never started (an error status while still `dispatching`), never got the request (a refused
 * connection: requeued without using an attempt, backing off while the service is down) or asks to
 * back off (429/503: requeued without using an attempt). A connection lost after the request went out is
 * left to heartbeats and deadlines. The answer is always read to the end, so the
 * connection goes back to the keep-alive pool.
 */
export class Dispatcher extends Effect.Service<Dispatcher>()("@pipeweave/orchestrator/Dispatcher", {
  effect: Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const crypto = yield* Crypto
    const backends = yield* StorageBackends
    const config = yield* OrchestratorConfig
    const taskRuns = yield* TaskRuns
    const registry = yield* Registry
    const results = yield* RunResults
    const dispatched = yield* DispatchedRuns
    const structures = yield* StructureCache

    const payloadFor = Effect.fn("Dispatcher.payloadFor")(function*(run: ClaimedRun, nowMs: number) {
      const scope = StorageKeys.runScope(run.id, run.pipelineRunId)
      const ttl = run.timeoutSeconds + CREDENTIAL_MARGIN_SECONDS
      const backend = yield* Option.match(backends.get(run.storageBackend), {
        onNone: () => Effect.dieMessage(`storage backend '${run.storageBackend}' of ${run.id} is no longer configured`),
        onSome: (b) => Effect.succeed(b.config)
      })
      const structure = run.pipelineRunId === null ? undefined : yield* structures.get(run.pipelineRunId, run.structure)
      const inputInline = run.inputInline ?? run.pipelineInputInline
      const [storageToken, callbackToken] = yield* Effect.all([
        crypto.sealStorageToken(
          { runId: run.id, taskId: run.taskId, attempt: run.attempt, scope, inputPath: run.inputPath, backend },
          nowMs,
          ttl
        ),
        crypto.signCredential({ _tag: "Run", runId: run.id, attempt: run.attempt, scope }, nowMs, ttl)
      ])
      const payload: typeof DispatchPayload.Encoded = {
        runId: run.id,
        taskId: run.taskId,
        pipelineRunId: run.pipelineRunId,
        attempt: run.attempt,
        codeVersion: run.codeVersion,
        codeHash: run.codeHash,
        inputPath: run.inputPath,
        ...(inputInline === null ? {} : { input: parseInline(inputInline) }),
        upstream: structure === undefined ? {} : upstreamOf(run, structure),
        previousAttempts: run.previousAttempts.map((a) => ({
          attempt: a.attempt,
          error: a.error,
          ...(a.errorCode === null ? {} : { errorCode: a.errorCode }),
          timestamp: a.timestamp.toISOString()
        })),
        heartbeatIntervalMs: run.heartbeatIntervalMs,
        timeoutSeconds: run.timeoutSeconds,
        allowedNext: structure?.tasks[run.taskId]?.allowedNext ?? run.allowedNext,
        outputPath: StorageKeys.output(scope, run.id),
        assetsPrefix: StorageKeys.assetsPrefix(scope, run.id),
        logsPath: StorageKeys.logs(scope, run.id),
        inlineLimitBytes: config.inlinePayloadBytes,
        storageToken,
        callbackToken
      }
      return payload
    })

    const failBeforeStart = (run: ClaimedRun, error: string) =>
      results.fail(
        run.id,
        run.attempt,
        { error, errorCode: ErrorCodes.dispatchFailed, retryable: true, retryAfterMs: null, logsPath: null },
        ["dispatching"]
      ).pipe(
        Effect.as<DispatchOutcome>("failed"),
        Effect.catchTags({ NotFound: () => Effect.succeed<DispatchOutcome>("abandoned"), Conflict: () => Effect.succeed<DispatchOutcome>("abandoned") })
      )

    /** Worker URLs this process found unreachable and has not reached since. */
    const down = new Set<string>()
    const lastWarned = new Map<string, number>()
    /** Worker URLs whose last answer was 429/503 (logged once until they accept a dispatch). */
    const pressing = new Set<string>()

    /**
     * A dispatch that never reached a worker spends no attempt: the run goes back to `pending`.
     * While no instance of its service is reachable it waits as long as the service has been down
     * (at least 1 s, at most `UNREACHABLE_MAX_DELAY_MS`), so a stopped worker never drains the
     * queue into the DLQ; another instance that still answers gets it at once.
     */
    const holdUnreached = Effect.fn("Dispatcher.holdUnreached")(function*(run: ClaimedRun, workerUrl: string, reason: string) {
      yield* dispatched.take(run.id)
      down.add(workerUrl)
      const nowMs = yield* Clock.currentTimeMillis
      const { downSince, reachable } = yield* registry.markUnreachable(workerUrl)
      const delayMs = reachable > 0 ? 0 : unreachableDelay(nowMs - downSince.getTime())
      const requeued = yield* taskRuns.requeue(run.id, run.attempt, delayMs)
      if (reachable === 0 && nowMs - (lastWarned.get(workerUrl) ?? -Infinity) >= delayMs) {
        lastWarned.set(workerUrl, nowMs)
        yield* Effect.logWarning(
          `cannot reach worker at ${redactUrl(workerUrl)} (${redactUrlsIn(reason)}) and no other instance of its service answers: ` +
            `runs stay pending without spending attempts, next try in ${delayMs} ms`
        ).pipe(Effect.annotateLogs({
          event: "instance.unreachable",
          instanceUrl: redactUrl(workerUrl),
          runId: run.id,
          taskId: run.taskId,
          delayMs
        }))
      }
      return (requeued ? "unreachable" : "abandoned") as DispatchOutcome
    })

    /** Records the run as dispatched and builds its payload. */
    const prepare = Effect.fn("Dispatcher.prepare")(function*(run: ClaimedRun) {
      const nowMs = yield* Clock.currentTimeMillis
      yield* dispatched.remember(run.id, {
        taskId: run.taskId,
        dispatchedAtMs: nowMs,
        pipelineRunId: run.pipelineRunId,
        hasIdempotencyKey: run.hasIdempotencyKey
      })
      return yield* payloadFor(run, nowMs)
    })

    const answerTimeout = (run: ClaimedRun) => Duration.sum(Duration.seconds(run.timeoutSeconds), DISPATCH_MARGIN)

    /** What a dispatch's answer means for its run (the same for a single dispatch and an item of a group). */
    const interpret = (run: ClaimedRun, workerUrl: string, answer: WorkerReply) => Effect.gen(function*() {
      switch (answer._tag) {
        case "Timeout":
          return yield* failBeforeStart(run, `cannot reach worker at ${redactUrl(workerUrl)}: no answer before the task's timeout`)
        case "Unreached":
          return yield* holdUnreached(run, workerUrl, answer.message)
        case "Lost":
          return "delivered" as DispatchOutcome
      }
      const { status, text } = answer
      if (down.has(workerUrl) && status !== 503) {
        down.delete(workerUrl)
        lastWarned.delete(workerUrl)
        yield* registry.markReachable(workerUrl)
        yield* Effect.logInfo(`worker at ${redactUrl(workerUrl)} answers again`).pipe(
          Effect.annotateLogs({ event: "instance.recovered", instanceUrl: redactUrl(workerUrl) })
        )
      }
      if (status === 429 || status === 503) {
        yield* taskRuns.requeue(run.id, run.attempt, BACK_PRESSURE_DELAY_MS)
        if (!pressing.has(workerUrl)) {
          pressing.add(workerUrl)
          yield* Effect.logInfo(
            `worker at ${redactUrl(workerUrl)} answered ${status}: dispatches back off ${BACK_PRESSURE_DELAY_MS} ms while it is busy`
          ).pipe(Effect.annotateLogs({
            event: "dispatch.backed-off",
            instanceUrl: redactUrl(workerUrl),
            runId: run.id,
            taskId: run.taskId,
            delayMs: BACK_PRESSURE_DELAY_MS
          }))
        }
        return "back-pressure" as DispatchOutcome
      }
      pressing.delete(workerUrl)
      if (status >= 200 && status < 300) return "delivered" as DispatchOutcome
      return yield* failBeforeStart(run, `worker at ${redactUrl(workerUrl)} ${describeWorkerAnswer(status, text)}`)
    })

    const send = (run: ClaimedRun) => Effect.gen(function*() {
      const workerUrl = run.workerUrl
      if (workerUrl === null) return yield* failBeforeStart(run, "no instance of the task's service is registered")
      const body = JSON.stringify(yield* prepare(run))
      const url = `${workerUrl.replace(/\/$/, "")}/tasks/${encodeURIComponent(run.taskId)}`
      const answer = yield* client.execute(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText(body, "application/json"))).pipe(
        Effect.flatMap((response) =>
          Effect.map(response.text.pipe(Effect.orElseSucceed(() => "")), (text): WorkerReply => ({ _tag: "Status", status: response.status, text }))
        ),
        Effect.timeout(answerTimeout(run)),
        Effect.scoped,
        Effect.catchAll((error) => Effect.succeed(transportReply(error)))
      )
      return yield* interpret(run, workerUrl, answer)
    })

    /**
     * A dispatch in the run's own trace, after a `TaskRuns.claim` span covering the claim that picked
     * it: both are children of the span the run was queued in (or, for a run queued while tracing
     * was off, the claim starts a trace of its own). The HTTP client passes the trace on to the
     * worker in the `traceparent` header. Tracing is switched back on here: the scheduling loop
     * runs untraced, so an idle orchestrator exports nothing. A grouped dispatch carries each
     * run's span in its item's `traceparent` instead. With no exporter installed there are no
     * spans at all: nothing would see them, and they were an eighth of a dispatch's CPU.
     */
    const traced = (run: ClaimedRun, claim: ClaimTiming, effect: Effect.Effect<DispatchOutcome>) =>
      Effect.flatMap(tracingEnabled, (enabled) => enabled ? tracedDispatch(run, claim, effect) : effect)

    const tracedDispatch = (run: ClaimedRun, claim: ClaimTiming, effect: Effect.Effect<DispatchOutcome>) =>
      Effect.gen(function*() {
        const queuedIn = parseTraceparent(run.traceparent)
        const attributes = {
          "pipeweave.run.id": run.id,
          "pipeweave.task.id": run.taskId,
          "pipeweave.attempt": run.attempt,
          ...(run.pipelineRunId === null ? {} : { "pipeweave.pipeline_run.id": run.pipelineRunId })
        }
        const claimSpan = yield* Effect.map(Effect.tracer, (tracer) => {
          const span = tracer.span("TaskRuns.claim", queuedIn, Context.empty(), [], claim.startedNs, "internal")
          for (const [key, value] of Object.entries({ ...attributes, "pipeweave.claimed_by": claim.orchestratorId })) {
            span.attribute(key, value)
          }
          span.end(claim.endedNs, Exit.void)
          return span
        })
        const parent = Option.orElse(queuedIn, () => Option.some(claimSpan))
        return yield* effect.pipe(
          Effect.tap((outcome) => Effect.annotateCurrentSpan("pipeweave.dispatch.outcome", outcome)),
          Effect.withSpan("Dispatcher.dispatch", {
            ...Option.match(parent, { onNone: () => ({ root: true }), onSome: (span) => ({ parent: span }) }),
            attributes
          })
        )
      }).pipe(Effect.withTracerEnabled(true))

    const dispatch = (run: ClaimedRun, claim: ClaimTiming) => traced(run, claim, send(run))

    /**
     * Dispatches `runs`, all chosen for the instance at `workerUrl`, in one `POST {workerUrl}/dispatches`.
     * Each run keeps its own trace and `around` (its bookkeeping) and gets the outcome a single
     * dispatch with the same answer would get: its item's decision, or the ack that says it ran; a
     * transport outcome (never connected, no answer in time, connection lost) applies to every run
     * still waiting. A run whose payload cannot be built is left out of the request.
     */
    const dispatchGroup = (
      runs: ReadonlyArray<ClaimedRun>,
      workerUrl: string,
      claim: ClaimTiming,
      around: (run: ClaimedRun) => (outcome: Effect.Effect<DispatchOutcome>) => Effect.Effect<unknown>
    ) =>
      Effect.gen(function*() {
        const items = yield* Effect.forEach(runs, (run) =>
          Effect.map(
            Effect.all([Deferred.make<string, void>(), Deferred.make<WorkerReply>()]),
            ([body, answer]) => ({ run, body, answer })
          ))
        /** One run's side: its payload (with its span's `traceparent`) goes into the request; then it waits for its answer. */
        const member = ({ answer, body, run }: (typeof items)[number]) =>
          Effect.gen(function*() {
            const payload = yield* prepare(run).pipe(
              Effect.onExit((exit) => Exit.isFailure(exit) ? Deferred.fail(body, undefined) : Effect.void)
            )
            const traceparent = yield* currentTraceparent
            yield* Deferred.succeed(body, JSON.stringify(traceparent === null ? payload : { ...payload, traceparent }))
            return yield* interpret(run, workerUrl, yield* Deferred.await(answer))
          })
        const each = Effect.forEach(
          items,
          (item) =>
            traced(item.run, claim, member(item)).pipe(
              around(item.run),
              Effect.catchAllCause((cause) => Effect.logError(`dispatch of ${item.run.id} failed`, cause))
            ),
          { concurrency: "unbounded", discard: true }
        )

        const exchange = Effect.gen(function*() {
          const bodies = yield* Effect.forEach(items, (item) => Effect.option(Deferred.await(item.body)))
          const sent = items.filter((_, i) => bodies[i]!._tag === "Some")
          if (sent.length === 0) return
          const text = `{"dispatches":[${bodies.flatMap((b) => b._tag === "Some" ? [b.value] : []).join(",")}]}`
          const settle = (index: number, reply: WorkerReply) => {
            const item = sent[index]
            return item === undefined ? Effect.void : Effect.asVoid(Deferred.succeed(item.answer, reply))
          }
          const byRunId = new Map(sent.map((item, i) => [item.run.id, i]))
          const longest = Math.max(...sent.map((item) => item.run.timeoutSeconds))
          const url = `${workerUrl.replace(/\/$/, "")}/dispatches`
          const outcome = yield* client.execute(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText(text, "application/json"))).pipe(
            Effect.flatMap((response) =>
              response.status === 200
                ? readGroupedAnswer(response.stream, {
                  onDecision: (index, runId, status, error) =>
                    (status >= 200 && status < 300) || sent[index]?.run.id !== runId
                      ? Effect.void
                      : settle(index, { _tag: "Status", status, text: JSON.stringify({ message: error ?? "" }) }),
                  onDone: (runId) => {
                    const index = byRunId.get(runId)
                    return index === undefined ? Effect.void : settle(index, { _tag: "Status", status: 200, text: "" })
                  }
                })
                : Effect.flatMap(response.text.pipe(Effect.orElseSucceed(() => "")), (text) =>
                  Effect.forEach(sent, (_, i) => settle(i, { _tag: "Status", status: response.status, text }), { discard: true }))
            ),
            Effect.timeout(Duration.sum(Duration.seconds(longest), DISPATCH_MARGIN)),
            Effect.scoped,
            Effect.match({ onFailure: transportReply, onSuccess: (): WorkerReply => ({ _tag: "Lost" }) })
          )
          yield* Effect.forEach(sent, (_, i) => settle(i, outcome), { discard: true })
        })
        /** Answers each run still waiting `Timeout` at its own deadline: one fiber for the group, not a timer per run. */
        const deadlines = Effect.gen(function*() {
          const started = yield* Clock.currentTimeMillis
          const byDeadline = [...items].sort((a, b) => a.run.timeoutSeconds - b.run.timeoutSeconds)
          for (const item of byDeadline) {
            const left = Duration.toMillis(answerTimeout(item.run)) - ((yield* Clock.currentTimeMillis) - started)
            if (left > 0) yield* Effect.sleep(Duration.millis(left))
            yield* Deferred.succeed(item.answer, { _tag: "Timeout" })
          }
        })
        const watchdog = yield* Effect.fork(deadlines)
        yield* Effect.all([each, exchange], { concurrency: 2, discard: true })
        yield* Fiber.interrupt(watchdog)
      })

    return { dispatch, dispatchGroup } as const
  })
}) {}
