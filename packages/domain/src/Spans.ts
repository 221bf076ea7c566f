import { Effect, FiberRef, type Tracer } from "effect"
import { dual } from "effect/Function"

/**
 * `Effect.withSpan` that costs nothing where tracing is off. Effect's own makes a span (a no-op
 * one when tracing is off), captures a stack trace and provides the span to `self` on every run:
 * ~30 runtime steps and ~15 µs, paid on the hot path for spans that no exporter receives. Here,
 * tracing off, `self` runs alone. Tracing on, the span is Effect's, without the stack trace of
 * where it was made (which would point into the runtime).
 */
export const withSpan: {
  (name: string, options?: Tracer.SpanOptions): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  <A, E, R>(self: Effect.Effect<A, E, R>, name: string, options?: Tracer.SpanOptions): Effect.Effect<A, E, R>
} = dual(
  (args) => Effect.isEffect(args[0]),
  <A, E, R>(self: Effect.Effect<A, E, R>, name: string, options?: Tracer.SpanOptions): Effect.Effect<A, E, R> =>
    Effect.withFiberRuntime<A, E, R>((fiber) =>
      fiber.getFiberRef(FiberRef.currentTracerEnabled)
        ? Effect.withSpan(self, name, { captureStackTrace: false, ...options })
        : self
    )
)

type AnyFunction = (...args: Array<any>) => any

/**
 * `Effect.fn(name)`, with its span made as `withSpan` makes it: named functions on the hot path
 * stay named in traces, and cost nothing more than `Effect.fnUntraced` where tracing is off.
 */
export const fn = (name: string, options?: Tracer.SpanOptions): Effect.fn.Gen & Effect.fn.NonGen =>
  ((body: AnyFunction, ...pipeables: Array<AnyFunction>) => {
    const untraced = (Effect.fnUntraced as unknown as (...fs: Array<AnyFunction>) => AnyFunction)(body, ...pipeables)
    const traced = function(this: unknown, ...args: Array<unknown>) {
      return withSpan(untraced.apply(this, args) as Effect.Effect<unknown, unknown, unknown>, name, options)
    }
    return Object.defineProperty(traced, "length", { value: body.length, configurable: true })
  }) as unknown as Effect.fn.Gen & Effect.fn.NonGen

/**
 * `Effect.annotateCurrentSpan`, skipped where tracing is off: Effect's own looks the span up and,
 * where there is none, fails and recovers from a `NoSuchElementException` (an `Error`, with its
 * stack trace) on every run.
 */
export const annotateCurrentSpan = (
  keyOrValues: string | Record<string, unknown>,
  value?: unknown
): Effect.Effect<void> =>
  Effect.withFiberRuntime((fiber) =>
    !fiber.getFiberRef(FiberRef.currentTracerEnabled)
      ? Effect.void
      : typeof keyOrValues === "string"
      ? Effect.annotateCurrentSpan(keyOrValues, value)
      : Effect.annotateCurrentSpan(keyOrValues)
  )
