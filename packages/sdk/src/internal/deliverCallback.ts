import { Duration, Effect, FiberRef, Schedule } from "effect"
import type { OrchestratorError } from "./OrchestratorClient.js"
import * as Spans from "@pipeweave/domain/Spans"

/** Waits 100 ms, 200 ms, 400 ms … (each capped at 10 s) between deliveries, for up to ~5 minutes. */
export const callbackSchedule: Schedule.Schedule<Duration.Duration, unknown> = Schedule.exponential("100 millis", 2).pipe(
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(10))),
  Schedule.upTo("5 minutes")
)

/** How a callback delivery ended. */
export type Delivery = "delivered" | "rejected" | "gave-up"

/**
 * Sends a callback, retrying network errors and 5xx/408/429 answers on `callbackSchedule`. A 409
 * (duplicate or stale attempt) or another 4xx is final: logged, not retried. In a span of its own
 * where tracing is on; a caller that knows whether it is (`traced`) saves the look.
 */
export const deliverCallback = (
  send: Effect.Effect<void, OrchestratorError>,
  report: (level: "warn" | "error", message: string) => Effect.Effect<void>,
  traced?: boolean
): Effect.Effect<Delivery> => {
  const failed = (e: OrchestratorError) => e.retryable ? report("warn", `callback failed (${e.message}); retrying`) : Effect.void
  // The retry schedule is set up only once a delivery failed (its driver and per-attempt metadata
  // are a dozen runtime steps on every callback otherwise). The first failure is replayed into
  // it, so the waits between deliveries are the schedule's own.
  const retried = (first: OrchestratorError) => {
    let replayed = false
    return Effect.suspend(() => replayed ? Effect.tapError(send, failed) : (replayed = true, Effect.fail(first))).pipe(
      Effect.retry({ schedule: callbackSchedule, while: (e) => e.retryable })
    )
  }
  const delivered = Effect.succeed<Delivery>("delivered")
  const ended = (e: OrchestratorError): Effect.Effect<Delivery> =>
    e.retryable
      ? report("error", `callback not delivered, giving up: ${e.message}`).pipe(Effect.as<Delivery>("gave-up"))
      : report("warn", `callback rejected by the orchestrator (${e.message}); not retrying`).pipe(
        Effect.as<Delivery>("rejected")
      )
  // One match on the way that matters (delivered at once); a failure that is retried ends as the
  // retries do.
  const delivery = Effect.matchEffect(send, {
    onSuccess: () => delivered,
    onFailure: (e) =>
      e.retryable
        ? Effect.matchEffect(Effect.zipRight(failed(e), retried(e)), { onSuccess: () => delivered, onFailure: ended })
        : ended(e)
  })
  const spanned = () =>
    delivery.pipe(
      Effect.tap((delivery) => Spans.annotateCurrentSpan("pipeweave.callback.delivery", delivery)),
      Spans.withSpan("Worker.deliverCallback")
    )
  if (traced === false) return delivery
  if (traced === true) return spanned()
  return Effect.withFiberRuntime((fiber) => fiber.getFiberRef(FiberRef.currentTracerEnabled) ? spanned() : delivery)
}
