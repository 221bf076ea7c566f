import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { type CallbackItem, type CallbackItemResult, MAX_GROUPED_CALLBACKS } from "@pipeweave/domain/CallbackGroup"
import { exportsSpans, traceparentOf } from "@pipeweave/domain/TraceContext"
import { Context, Effect, Exit, type Fiber, Option, Tracer } from "effect"
import { OneShot } from "@pipeweave/domain/OneShot"
import { pendingIo } from "@pipeweave/domain/PendingIo"

/** A group stays well under the orchestrator's smallest default body limit (4 MiB). */
const MAX_GROUP_BYTES = 1_048_576

interface Pending<E> {
  readonly item: CallbackItem
  readonly bytes: number
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly done: OneShot<void, E>
}

/** `tracingEnabled`, read from a fiber: whether spans go anywhere. */
const spansGoAnywhere = (fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
  exportsSpans(Context.get(fiber.currentDefaultServices, Tracer.Tracer))

/** What the SDK's delivery needs to know of a failed call. */
interface Failure {
  readonly retryable: boolean
  readonly status: number | undefined
}

/** The two ways a callback reaches the orchestrator, and the error of a callback it answered with `status`. */
export interface CallbackRoutes<E extends Failure> {
  readonly single: (runId: string, body: CallbackPayload, token: string) => Effect.Effect<void, E>
  readonly group: (items: ReadonlyArray<CallbackItem>) => Effect.Effect<ReadonlyArray<CallbackItemResult>, E>
  readonly answered: (status: number, message: string) => E
}

const describe = (result: CallbackItemResult): string => {
  const field = result.error?.field === undefined ? "" : `${result.error.field}: `
  return `HTTP ${result.status}${result.error === undefined ? "" : ` ${result.error._tag}: ${field}${result.error.message}`}`
}

/**
 * At most this many group requests are in flight. A group is answered once the orchestrator has
 * written its results, which may first wait for the write before it: with one request, every cycle
 * of dispatch and callbacks carried that round trip; with two, once the orchestrator sends the next
 * runs as soon as slots come free, the third group still waited for the first one's answer. What
 * finishes while all are out waits and goes together.
 */
export const MAX_GROUP_REQUESTS = 4

/**
 * Sends callbacks in groups once the orchestrator serves `POST /api/callbacks`: up to
 * `MAX_GROUP_REQUESTS` requests at a time; the callbacks that arrive while that many are in
 * flight wait, and all of them (up to `MAX_GROUPED_CALLBACKS`) go in the next one. No timer: a
 * callback with none waiting beside it goes alone on the single route, from a sender fiber that
 * starts once the event loop has run what was ready (`pendingIo`), so the callbacks of runs
 * finishing together leave together; when no other execution runs on the worker (`countRunning`),
 * nothing can join it, and the sender starts at once. (Sending a lone callback from its caller's
 * fiber cut that batch: a third of the callbacks and dispatches went alone, and CPU per task rose by a third in
 * both processes. Starting the sender as soon as the callers yielded still sent the first callback
 * of every grouped dispatch alone: its slot then came free alone, its run's successor was
 * dispatched alone, and every cycle of ten no-op tasks took two dispatch requests and two callback
 * requests instead of one each.) Each callback ends as it would have on the single route (its own
 * status; a transport failure fails every callback of the request, retryable). A group the
 * orchestrator refuses as a whole with a 4xx (an older one without the route, a body too large) is
 * sent again one by one.
 */
export const makeCallbackGroups = <E extends Failure>(routes: CallbackRoutes<E>) => {
  let grouped = false
  /** Whether other executions run beside the caller's, whose callbacks may yet join it. */
  let othersRunning: () => boolean = () => true
  /** Sender fibers running: each sends one group at a time until the queue is empty. */
  let senders = 0
  const queue: Array<Pending<E>> = []

  const alone = (pending: Pending<E>) => {
    const { callbackToken, runId, traceparent: _, ...body } = pending.item
    const send = routes.single(runId, body, callbackToken)
    return Option.match(pending.parent, { onNone: () => send, onSome: (span) => Effect.withParentSpan(send, span) })
  }

  /** A 4xx for the request itself (no such route, body too large): its items were not looked at. */
  const refusedAsWhole = (error: E) => !error.retryable && error.status !== undefined && error.status >= 400 && error.status < 500

  const settleAlone = (pending: Pending<E>) => Effect.flatMap(Effect.exit(alone(pending)), (exit) => Effect.sync(() => pending.done.done(exit)))

  const takeGroup = (): Array<Pending<E>> => {
    const group: Array<Pending<E>> = []
    let bytes = 0
    while (queue.length > 0 && group.length < MAX_GROUPED_CALLBACKS) {
      const next = queue[0]!
      if (group.length > 0 && bytes + next.bytes > MAX_GROUP_BYTES) break
      bytes += next.bytes
      group.push(queue.shift()!)
    }
    return group
  }

  /** Ends each callback of `group` as `exitOf` says, at once (no step per callback). */
  const settleAll = (group: ReadonlyArray<Pending<E>>, exitOf: (p: Pending<E>, i: number) => Exit.Exit<void, E>) =>
    Effect.sync(() => group.forEach((p, i) => p.done.done(exitOf(p, i))))

  const sendGroup = (group: ReadonlyArray<Pending<E>>): Effect.Effect<void> =>
    group.length === 1
      ? settleAlone(group[0]!)
      : routes.group(group.map((p) => p.item)).pipe(
        Effect.withTracerEnabled(false),
        Effect.matchEffect({
          onFailure: (error) =>
            refusedAsWhole(error)
              ? Effect.forEach(group, settleAlone, { concurrency: "unbounded", discard: true })
              : settleAll(group, () => Exit.fail(error)),
          onSuccess: (results) =>
            settleAll(group, (p, i) => {
              const result = results[i]
              if (result === undefined || result.runId !== p.item.runId) {
                return Exit.fail(routes.answered(200, "the orchestrator's answer does not match the callbacks sent"))
              }
              return result.status >= 200 && result.status < 300
                ? Exit.void
                : Exit.fail(routes.answered(result.status, describe(result)))
            })
        }),
        Effect.catchAllDefect((defect) =>
          settleAll(group, () => Exit.fail(routes.answered(500, `the callbacks could not be sent: ${String(defect)}`))))
      )

  const drain: Effect.Effect<void> = Effect.suspend(() => {
    const group = takeGroup()
    if (group.length === 0) {
      senders--
      return Effect.void
    }
    return Effect.zipRight(sendGroup(group), drain)
  })

  /**
   * Queues a callback and, if fewer than the limit run, starts a sender: after the event loop's
   * pending I/O while other executions run (their callbacks may be about to join), at once when the
   * caller's is the only one (nothing can join it; a pipeline's edge waited for the loop's turn).
   */
  const push = (pending: Pending<E>): Effect.Effect<void> => {
    queue.push(pending)
    if (senders >= MAX_GROUP_REQUESTS) return Effect.void
    senders++
    return Effect.asVoid(Effect.forkDaemon(othersRunning() ? Effect.zipRight(pendingIo, drain) : drain))
  }

  /**
   * Queues a callback, made in one step where the fiber is read directly: its `traceparent` (as
   * `currentTraceparent`), its span and the outcome its caller waits on.
   */
  const enqueue = (fiber: Fiber.RuntimeFiber<unknown, unknown>, runId: string, body: CallbackPayload, token: string) => {
    const parent = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
    const traceparent = spansGoAnywhere(fiber) ? traceparentOf(parent) : null
    const item: CallbackItem = {
      runId,
      callbackToken: token,
      ...(traceparent === null ? {} : { traceparent }),
      ...body
    }
    const done = new OneShot<void, E>()
    const pending: Pending<E> = { item, bytes: JSON.stringify(body).length + token.length + 200, parent, done }
    // While the limit of senders runs, queued at once (nothing else to do); else queued and a
    // sender started in one uninterruptible step: never a queue left without a sender.
    if (senders >= MAX_GROUP_REQUESTS) {
      queue.push(pending)
      return done.await()
    }
    return Effect.zipRight(Effect.uninterruptible(Effect.suspend(() => push(pending))), done.await())
  }

  return {
    /** Delivers one callback: grouped with others when the orchestrator takes groups, else alone. */
    send: (runId: string, body: CallbackPayload, token: string): Effect.Effect<void, E> =>
      Effect.withFiberRuntime((fiber) => grouped ? enqueue(fiber, runId, body, token) : routes.single(runId, body, token)),
    /** Whether the orchestrator (as its registration answer said) serves grouped callbacks. */
    useGroups: (enabled: boolean): Effect.Effect<void> => Effect.sync(() => (grouped = enabled)),
    /** How many executions run on this worker, the caller's included (its dispatch routes' count). */
    countRunning: (running: () => number): Effect.Effect<void> => Effect.sync(() => (othersRunning = () => running() > 1))
  } as const
}
