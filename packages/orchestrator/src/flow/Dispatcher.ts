import { HttpClient, type HttpClientError, HttpClientRequest } from "@effect/platform"
import { HttpAgent } from "@effect/platform-node/NodeHttpClient"
import type { DispatchPayload, UpstreamRef } from "@pipeweave/domain/Dispatch"
import { redactUrl, redactUrlsIn } from "@pipeweave/domain/RedactedUrl"
import { type PipelineStructure, predecessorsOf } from "@pipeweave/domain/pipeline/PipelineStructure"
import * as StorageKeys from "@pipeweave/domain/StorageKeys"
import { ErrorCodes } from "@pipeweave/domain/TaskErrors"
import { formatTraceparent, parseTraceparent, tracingEnabled } from "@pipeweave/domain/TraceContext"
import type { StorageBackendConfig } from "@pipeweave/storage/StorageBackendConfig"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { type Cause, Clock, Context, Duration, Effect, Exit, Fiber, Option, type Scope, type Stream, type Tracer } from "effect"
import { OrchestratorConfig } from "../Config.js"
import type { ClaimedRun } from "../store/ClaimedRun.js"
import { Registry } from "../store/Registry.js"
import { TaskRuns } from "../store/TaskRuns.js"
import { DispatchedRuns } from "./DispatchedRuns.js"
import { parseInline } from "./InlinePayload.js"
import { type ExchangeCutter, type GroupExchangeError, keptText, makeExchangeCutter, postGroupToWorker } from "./PostGroupToWorker.js"
import { ANSWER_KEPT_BYTES, postToWorker } from "./PostToWorker.js"
import { RunResults } from "./RunResults.js"
import { RunTokens } from "./RunTokens.js"
import { StructureCache } from "./StructureCache.js"
import { type GroupedAnswerHandlers, readGroupedAnswer, readGroupedLines } from "./GroupedAnswer.js"
import { describeWorkerAnswer, transportReply, type WorkerReply } from "./WorkerAnswer.js"
import * as Spans from "@pipeweave/domain/Spans"

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
    const agents = yield* HttpAgent
    const tokens = yield* RunTokens
    const backends = yield* StorageBackends
    const config = yield* OrchestratorConfig
    const taskRuns = yield* TaskRuns
    const registry = yield* Registry
    const results = yield* RunResults
    const dispatched = yield* DispatchedRuns
    const structures = yield* StructureCache

    /** A run's dispatch payload, its tokens sealed and signed at `nowMs`. */
    const buildPayload = (
      run: ClaimedRun,
      nowMs: number,
      backend: StorageBackendConfig,
      structure: PipelineStructure | undefined
    ): typeof DispatchPayload.Encoded => {
      const scope = StorageKeys.runScope(run.id, run.pipelineRunId)
      const inputInline = run.inputInline ?? run.pipelineInputInline
      return {
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
        ...tokens.forDispatch({
          runId: run.id,
          taskId: run.taskId,
          pipelineRunId: run.pipelineRunId,
          attempt: run.attempt,
          inputPath: run.inputPath,
          backend,
          timeoutSeconds: run.timeoutSeconds
        }, nowMs)
      }
    }

    const payloadFor = Spans.fn("Dispatcher.payloadFor")(function*(run: ClaimedRun, nowMs: number) {
      const backend = yield* Option.match(backends.get(run.storageBackend), {
        onNone: () => Effect.dieMessage(`storage backend '${run.storageBackend}' of ${run.id} is no longer configured`),
        onSome: (b) => Effect.succeed(b.config)
      })
      const structure = run.pipelineRunId === null ? undefined : yield* structures.get(run.pipelineRunId, run.structure)
      return buildPayload(run, nowMs, backend, structure)
    })

    const remember = (run: ClaimedRun, nowMs: number) =>
      dispatched.unsafeRemember(run.id, {
        taskId: run.taskId,
        dispatchedAtMs: nowMs,
        pipelineRunId: run.pipelineRunId,
        hasIdempotencyKey: run.hasIdempotencyKey
      })

    /**
     * `prepare` without a runtime step, for a run whose backend is configured and, in a pipeline,
     * whose run's structure is decoded already (the common case); `undefined` otherwise (and on a
     * defect), for `prepare`.
     */
    const prepareNow = (run: ClaimedRun, nowMs: number): typeof DispatchPayload.Encoded | undefined => {
      const structure = run.pipelineRunId === null ? undefined : structures.peek(run.pipelineRunId)
      if (run.pipelineRunId !== null && structure === undefined) return undefined
      const backend = backends.get(run.storageBackend)
      if (Option.isNone(backend)) return undefined
      try {
        const payload = buildPayload(run, nowMs, backend.value.config, structure)
        remember(run, nowMs)
        return payload
      } catch {
        return undefined
      }
    }

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
    const holdUnreached = Spans.fn("Dispatcher.holdUnreached")(function*(run: ClaimedRun, workerUrl: string, reason: string) {
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
    const prepare = Spans.fn("Dispatcher.prepare")(function*(run: ClaimedRun) {
      const nowMs = yield* Clock.currentTimeMillis
      remember(run, nowMs)
      return yield* payloadFor(run, nowMs)
    })

    const answerTimeout = (run: ClaimedRun) => Duration.sum(Duration.seconds(run.timeoutSeconds), DISPATCH_MARGIN)

    /** What a dispatch's answer means for its run (the same for a single dispatch and an item of a group). */
    const interpret = Effect.fnUntraced(function*(run: ClaimedRun, workerUrl: string, answer: WorkerReply) {
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

    /**
     * A single dispatch's exchange, `Timeout` without a whole answer by `run`'s deadline: through
     * `HttpClient` when traced (its span, the trace passed on), else `postToWorker`.
     */
    const exchange = (run: ClaimedRun, url: string, body: string, traced: boolean): Effect.Effect<WorkerReply> =>
      traced
        ? client.execute(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText(body, "application/json"))).pipe(
          Effect.flatMap((response) =>
            Effect.map(response.text.pipe(Effect.orElseSucceed(() => "")), (text): WorkerReply => ({ _tag: "Status", status: response.status, text }))
          ),
          Effect.scoped,
          Effect.timeout(answerTimeout(run)),
          Effect.catchAll((error) => Effect.succeed(transportReply(error)))
        )
        : postToWorker(agents, url, body, Duration.toMillis(answerTimeout(run)))

    const send = Effect.fnUntraced(function*(run: ClaimedRun, traced: boolean) {
      const workerUrl = run.workerUrl
      if (workerUrl === null) return yield* failBeforeStart(run, "no instance of the task's service is registered")
      const ready = traced ? undefined : prepareNow(run, yield* Clock.currentTimeMillis)
      const body = JSON.stringify(ready ?? (yield* prepare(run)))
      const url = `${workerUrl.replace(/\/$/, "")}/tasks/${encodeURIComponent(run.taskId)}`
      return yield* interpret(run, workerUrl, yield* exchange(run, url, body, traced))
    })

    /**
     * The span of a run's dispatch, in the run's own trace, after a `TaskRuns.claim` span covering
     * the claim that picked it: both are children of the span the run was queued in (or, for a run
     * queued while tracing was off, the claim starts a trace of its own).
     */
    const openDispatchSpan = (run: ClaimedRun, claim: ClaimTiming) =>
      Effect.gen(function*() {
        const queuedIn = parseTraceparent(run.traceparent)
        const attributes = {
          "pipeweave.run.id": run.id,
          "pipeweave.task.id": run.taskId,
          "pipeweave.attempt": run.attempt,
          ...(run.pipelineRunId === null ? {} : { "pipeweave.pipeline_run.id": run.pipelineRunId })
        }
        const tracer = yield* Effect.tracer
        const claimSpan = tracer.span("TaskRuns.claim", queuedIn, Context.empty(), [], claim.startedNs, "internal")
        for (const [key, value] of Object.entries(attributes)) claimSpan.attribute(key, value)
        claimSpan.attribute("pipeweave.claimed_by", claim.orchestratorId)
        claimSpan.end(claim.endedNs, Exit.void)
        const parent = Option.getOrElse(queuedIn, (): Tracer.AnySpan => claimSpan)
        return yield* Effect.makeSpan("Dispatcher.dispatch", { parent, attributes })
      }).pipe(Effect.withTracerEnabled(true))

    /**
     * `effect` as a step of the dispatch `span` (tracing switched back on for it: the scheduling
     * loop runs untraced, so an idle orchestrator exports nothing). The HTTP client passes the
     * trace on to the worker in the `traceparent` header.
     */
    const inSpan = <A, E>(span: Tracer.Span, effect: Effect.Effect<A, E>) =>
      effect.pipe(Effect.withParentSpan(span), Effect.withTracerEnabled(true))

    /** `outcome` as the end of the dispatch `span`: the span records it and ends with it. */
    const endingSpan = (span: Tracer.Span, outcome: Effect.Effect<DispatchOutcome>) =>
      inSpan(span, outcome).pipe(
        Effect.tap((value) => Effect.sync(() => span.attribute("pipeweave.dispatch.outcome", value))),
        Effect.onExit((exit) => Effect.map(Clock.currentTimeNanos, (now) => span.end(now, exit)))
      )

    /**
     * A single dispatch with its spans when an exporter is installed. With none there are no spans
     * at all: nothing would see them, and they were an eighth of a dispatch's CPU.
     */
    const dispatch = (run: ClaimedRun, claim: ClaimTiming) =>
      Effect.flatMap(tracingEnabled, (enabled) =>
        enabled
          ? Effect.flatMap(openDispatchSpan(run, claim), (span) => endingSpan(span, send(run, true)))
          : send(run, false))

    /** A run of a grouped dispatch: its span when tracing, its request item once built, whether its outcome is settled. */
    interface GroupItem {
      readonly run: ClaimedRun
      readonly span: Tracer.Span | undefined
      readonly deadlineMs: number
      settled: boolean
    }

    /**
     * Answers each item of a group still waiting `Timeout` at its own deadline, then ends the
     * exchange (the untraced one through `cutter`; the traced one is timed out): one fiber for the
     * group, not a timer per run.
     */
    const watchDeadlines = Effect.fnUntraced(function*(
      sent: ReadonlyArray<GroupItem>,
      answer: (item: GroupItem, reply: WorkerReply) => Effect.Effect<void>,
      cutter: ExchangeCutter
    ) {
      const started = yield* Clock.currentTimeMillis
      for (const item of [...sent].sort((a, b) => a.deadlineMs - b.deadlineMs)) {
        const left = item.deadlineMs - ((yield* Clock.currentTimeMillis) - started)
        if (left > 0) yield* Effect.sleep(Duration.millis(left))
        yield* answer(item, { _tag: "Timeout" })
      }
      cutter.cut()
    })

    /**
     * Dispatches `runs`, all chosen for the instance at `workerUrl`, in one `POST {workerUrl}/dispatches`.
     * Each run keeps its own trace and `around` (its bookkeeping) and gets the outcome a single
     * dispatch with the same answer would get (untraced runs the worker reports done, from a worker
     * known to answer, are settled together as `delivered` instead, as each batch of the answer's
     * lines is read): its item's decision, or the ack that says it ran; a
     * transport outcome (never connected, no answer in time, connection lost) applies to every run
     * still waiting, and a run still waiting at its own deadline gets `Timeout` then. A run whose
     * payload cannot be built is left out of the request. Runs are handled in turn by this one
     * fiber (and a watchdog for the deadlines), each settled exactly once.
     */
    const dispatchGroup = Effect.fnUntraced(function*(
      runs: ReadonlyArray<ClaimedRun>,
      workerUrl: string,
      claim: ClaimTiming,
      around: (run: ClaimedRun) => (outcome: Effect.Effect<DispatchOutcome>) => Effect.Effect<unknown>,
      delivered: (runs: ReadonlyArray<ClaimedRun>) => Effect.Effect<void>
    ) {
      const traced = yield* tracingEnabled
      /**
       * Settles `item` with `outcome` (the first time only): its span ends, its `around` runs.
       * Uninterruptible, so neither the exchange's timeout nor its end cuts a settlement short.
       */
      const settle = (item: GroupItem, outcome: Effect.Effect<DispatchOutcome>) =>
        Effect.uninterruptible(Effect.suspend(() => {
          if (item.settled) return Effect.void
          item.settled = true
          return (item.span === undefined ? outcome : endingSpan(item.span, outcome)).pipe(
            around(item.run),
            Effect.catchAllCause((cause) => Effect.logError(`dispatch of ${item.run.id} failed`, cause))
          )
        }))
      const answer = (item: GroupItem, reply: WorkerReply) => settle(item, interpret(item.run, workerUrl, reply))

      const sent: Array<GroupItem> = []
      const bodies: Array<string> = []
      const nowMs = yield* Clock.currentTimeMillis
      for (const run of runs) {
        const span = traced ? yield* openDispatchSpan(run, claim) : undefined
        const item: GroupItem = { run, span, deadlineMs: Duration.toMillis(answerTimeout(run)), settled: false }
        const ready = span === undefined ? prepareNow(run, nowMs) : undefined
        if (ready !== undefined) {
          bodies.push(JSON.stringify(ready))
          sent.push(item)
          continue
        }
        const payload = yield* Effect.exit(span === undefined ? prepare(run) : inSpan(span, prepare(run)))
        if (Exit.isFailure(payload)) {
          yield* settle(item, Effect.failCause(payload.cause))
          continue
        }
        const traceparent = span === undefined ? null : formatTraceparent(span)
        bodies.push(JSON.stringify(traceparent === null ? payload.value : Object.assign({}, payload.value, { traceparent })))
        sent.push(item)
      }
      if (sent.length === 0) return

      /** Untraced runs reported done, settled as one batch once the lines read so far are handled. */
      let done: Array<ClaimedRun> = []
      const settleDone = Effect.suspend(() => {
        if (done.length === 0) return Effect.void
        const runs = done
        done = []
        return Effect.uninterruptible(delivered(runs))
      })

      const cutter = makeExchangeCutter()
      const watchdog = yield* Effect.fork(watchDeadlines(sent, answer, cutter))

      const byRunId = new Map(sent.map((item) => [item.run.id, item]))
      const text = `{"dispatches":[${bodies.join(",")}]}`
      const longest = Math.max(...sent.map((item) => item.deadlineMs))
      const url = `${workerUrl.replace(/\/$/, "")}/dispatches`
      const handlers: GroupedAnswerHandlers = {
        onDecision: (index, runId, status, error) => {
          const item = sent[index]
          return (status >= 200 && status < 300) || item?.run.id !== runId
            ? Effect.void
            : answer(item, { _tag: "Status", status, text: JSON.stringify({ message: error ?? "" }) })
        },
        onDone: (runId) => {
          const item = byRunId.get(runId)
          if (item === undefined || item.settled) return Effect.void
          if (item.span === undefined && !down.has(workerUrl)) {
            item.settled = true
            pressing.delete(workerUrl)
            done.push(item.run)
            return Effect.void
          }
          return answer(item, { _tag: "Status", status: 200, text: "" })
        },
        afterLines: () => settleDone
      }
      const refused = <E>(answered: number, body: Stream.Stream<Uint8Array, E>) =>
        Effect.flatMap(keptText(body, ANSWER_KEPT_BYTES).pipe(Effect.orElseSucceed(() => "")), (text) =>
          Effect.forEach(sent, (item) => answer(item, { _tag: "Status", status: answered, text }), { discard: true }))
      type ExchangeError = HttpClientError.HttpClientError | GroupExchangeError | Cause.TimeoutException
      const exchange: Effect.Effect<void, ExchangeError, Scope.Scope> =
        traced
          ? Effect.flatMap(
            client.execute(HttpClientRequest.post(url).pipe(HttpClientRequest.bodyText(text, "application/json"))),
            (response) =>
              response.status === 200
                ? readGroupedAnswer(response.stream, handlers, url)
                : refused(response.status, response.stream)
          ).pipe(Effect.timeout(Duration.millis(longest)))
          : Effect.flatMap(postGroupToWorker(agents, url, text, cutter), (reply) =>
            reply.status === 200
              ? readGroupedLines(reply.nextLines, handlers)
              : refused(reply.status, reply.body))
      const outcome = yield* exchange.pipe(
        Effect.scoped,
        Effect.match({ onFailure: transportReply, onSuccess: (): WorkerReply => ({ _tag: "Lost" }) })
      )
      yield* Fiber.interrupt(watchdog)
      yield* settleDone
      yield* Effect.forEach(sent.filter((item) => !item.settled), (item) => answer(item, outcome), { discard: true })
    })

    return { dispatch, dispatchGroup } as const
  })
}) {}
