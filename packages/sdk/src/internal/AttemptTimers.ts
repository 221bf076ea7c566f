import type { HeartbeatResult } from "@pipeweave/domain/Callback"
import { Clock, Context, Duration, Effect, Fiber, FiberId, FiberRef, Layer, Option, Queue, type Scope, Tracer } from "effect"
import type { OrchestratorError } from "./OrchestratorClient.js"

/** How long an attempt runs before its first heartbeat, at most: short tasks send none. */
export const firstBeatAfter: Duration.Duration = Duration.seconds(1)

/** One running attempt's heartbeats. */
export interface HeartbeatOptions {
  readonly beat: Effect.Effect<typeof HeartbeatResult.Type, OrchestratorError>
  readonly intervalMs: number
  readonly onCancelled: Effect.Effect<void>
  readonly onError: (error: OrchestratorError) => Effect.Effect<void>
}

/** A running effect's deadline: the fiber it runs in is interrupted at `dueAtMs`. */
interface Deadline {
  readonly dueAtMs: number
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  readonly onExpired: () => void
}

interface Watched {
  readonly options: HeartbeatOptions
  /** The attempt's span and tracing switch, so its beats stay in its trace as before. */
  readonly parent: Option.Option<Tracer.AnySpan>
  readonly traced: boolean
  dueAtMs: number
  beating: Fiber.RuntimeFiber<void> | undefined
  gone: boolean
}

/**
 * The timers of every attempt running in this worker, from one fiber that sleeps until the next
 * one is due (not a sleeping fiber per attempt: most attempts end before their first beat and long
 * before their timeout).
 *
 * Heartbeats: an attempt beats first after `min(1 s, intervalMs)` and then `intervalMs` after each
 * beat's answer, until its scope closes (a beat in flight is interrupted then). A failed beat is
 * reported through `onError` and never stops the beats; an answer with `cancelled: true` runs
 * `onCancelled`. A beat runs in its attempt's trace (its span, tracing on or off as the attempt had it).
 *
 * Deadlines: `interruptAfter` interrupts the fiber running an effect once it has run for `ms`
 * (calling `onExpired` first), without the two fibers of racing it against a sleep.
 */
export class AttemptTimers extends Context.Tag("@pipeweave/sdk/AttemptTimers")<AttemptTimers, {
  /** Beats for the attempt as long as the caller's scope is open. */
  readonly heartbeats: (options: HeartbeatOptions) => Effect.Effect<void, never, Scope.Scope>
  /** `effect`, beating for the attempt while it runs (`heartbeats` without a scope to open and close). */
  readonly beatingDuring: <A, E, R>(effect: Effect.Effect<A, E, R>, options: HeartbeatOptions) => Effect.Effect<A, E, R>
  /**
   * `effect`, interrupted where it runs if it has not ended within `ms`; `onExpired` runs just
   * before that interruption, so the caller can tell it from any other.
   */
  readonly interruptAfter: <A, E, R>(effect: Effect.Effect<A, E, R>, ms: number, onExpired: () => void) => Effect.Effect<A, E, R>
}>() {
  static readonly make: Effect.Effect<AttemptTimers["Type"], never, Scope.Scope> = Effect.gen(function*() {
    const watched = new Set<Watched>()
    const deadlines = new Set<Deadline>()
    const wake = yield* Queue.sliding<void>(1)
    /**
     * When the loop looks next: infinite while nothing is watched, minus infinity while it is
     * looking (so an attempt watched meanwhile still wakes it).
     */
    let looksAtMs = Number.POSITIVE_INFINITY
    const nudge = (dueAtMs: number) => {
      if (dueAtMs < looksAtMs) Queue.unsafeOffer(wake, undefined)
    }

    const beatOnce = (entry: Watched) =>
      Option.match(entry.parent, {
        onNone: () => entry.options.beat,
        onSome: (span) => Effect.withParentSpan(entry.options.beat, span)
      }).pipe(
        Effect.withTracerEnabled(entry.traced),
        Effect.flatMap((answer) => answer.cancelled ? entry.options.onCancelled : Effect.void),
        Effect.catchAll(entry.options.onError),
        Effect.zipRight(Clock.currentTimeMillis),
        Effect.flatMap((nowMs) =>
          Effect.suspend(() => {
            entry.beating = undefined
            entry.dueAtMs = nowMs + entry.options.intervalMs
            if (!entry.gone) nudge(entry.dueAtMs)
            return Effect.void
          })
        )
      )

    const loop = Effect.gen(function*() {
      for (;;) {
        looksAtMs = Number.NEGATIVE_INFINITY
        const nowMs = yield* Clock.currentTimeMillis
        let nextMs = Number.POSITIVE_INFINITY
        for (const entry of watched) {
          if (entry.beating !== undefined) continue
          if (entry.dueAtMs <= nowMs) entry.beating = yield* Effect.fork(beatOnce(entry))
          else nextMs = Math.min(nextMs, entry.dueAtMs)
        }
        for (const deadline of deadlines) {
          if (deadline.dueAtMs > nowMs) {
            nextMs = Math.min(nextMs, deadline.dueAtMs)
            continue
          }
          deadlines.delete(deadline)
          deadline.onExpired()
          deadline.fiber.unsafeInterruptAsFork(FiberId.none)
        }
        looksAtMs = nextMs
        yield* nextMs === Number.POSITIVE_INFINITY
          ? Queue.take(wake)
          : Effect.raceFirst(Queue.take(wake), Effect.sleep(Duration.millis(nextMs - nowMs)))
      }
    })
    yield* Effect.forkScoped(loop)

    /** The fiber's clock, read without a runtime step (a TestClock's time under test). */
    const nowOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>) =>
      Context.get(fiber.currentDefaultServices, Clock.Clock).unsafeCurrentTimeMillis()

    // Registration and its removal are plain functions, run inside the one step of their effects.
    const register = (options: HeartbeatOptions) =>
      Effect.withFiberRuntime<Watched>((fiber) => {
        const entry: Watched = {
          options,
          parent: Context.getOption(fiber.currentContext, Tracer.ParentSpan),
          traced: fiber.getFiberRef(FiberRef.currentTracerEnabled),
          dueAtMs: nowOf(fiber) + Math.min(Duration.toMillis(firstBeatAfter), options.intervalMs),
          beating: undefined,
          gone: false
        }
        watched.add(entry)
        nudge(entry.dueAtMs)
        return Effect.succeed(entry)
      })

    /** Stops `entry`'s beats; called where an effect is built lazily (a release). */
    const unsafeUnregister = (entry: Watched): Effect.Effect<void> => {
      entry.gone = true
      watched.delete(entry)
      return entry.beating === undefined ? Effect.void : Fiber.interrupt(entry.beating)
    }

    const unregister = (entry: Watched) => Effect.suspend(() => unsafeUnregister(entry))

    const heartbeats = (options: HeartbeatOptions) => Effect.asVoid(Effect.acquireRelease(register(options), unregister))

    const beatingDuring = <A, E, R>(effect: Effect.Effect<A, E, R>, options: HeartbeatOptions) =>
      Effect.acquireUseRelease(register(options), () => effect, unsafeUnregister)

    const interruptAfter = <A, E, R>(effect: Effect.Effect<A, E, R>, ms: number, onExpired: () => void) =>
      Effect.withFiberRuntime<A, E, R>((fiber) => {
        const deadline: Deadline = { dueAtMs: nowOf(fiber) + ms, fiber, onExpired }
        deadlines.add(deadline)
        nudge(deadline.dueAtMs)
        // Removed once `effect` ends, without a finalizer: a fiber interrupted meanwhile leaves its
        // deadline to expire, which then interrupts a fiber that has already ended (nothing).
        return Effect.matchCauseEffect(effect, {
          onFailure: (cause) => {
            deadlines.delete(deadline)
            return Effect.failCause(cause)
          },
          onSuccess: (value) => {
            deadlines.delete(deadline)
            return Effect.succeed(value)
          }
        })
      })

    return { heartbeats, beatingDuring, interruptAfter }
  })

  /** One scheduler for the worker's lifetime. */
  static readonly layer: Layer.Layer<AttemptTimers> = Layer.scoped(AttemptTimers, AttemptTimers.make)
}
