import { Duration, Effect, Schedule } from "effect"
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
 * (duplicate or stale attempt) or another 4xx is final: logged, not retried.
 */
export const deliverCallback = (
  send: Effect.Effect<void, OrchestratorError>,
  report: (level: "warn" | "error", message: string) => Effect.Effect<void>
): Effect.Effect<Delivery> =>
  send.pipe(
    Effect.tapError((e) => e.retryable ? report("warn", `callback failed (${e.message}); retrying`) : Effect.void),
    Effect.retry({ schedule: callbackSchedule, while: (e) => e.retryable }),
    Effect.as<Delivery>("delivered"),
    Effect.catchAll((e) =>
      e.retryable
        ? report("error", `callback not delivered, giving up: ${e.message}`).pipe(Effect.as<Delivery>("gave-up"))
        : report("warn", `callback rejected by the orchestrator (${e.message}); not retrying`).pipe(
          Effect.as<Delivery>("rejected")
        )
    ),
    Effect.tap((delivery) => Spans.annotateCurrentSpan("pipeweave.callback.delivery", delivery)),
    Spans.withSpan("Worker.deliverCallback")
  )
