import { Deferred, type Duration, Effect, Layer } from "effect"

/**
 * Opens once the HTTP server accepts connections. Work that depends on workers being able to reach
 * this orchestrator (the start-up grace of in-flight attempts) waits for it rather than for the
 * layers to be built, which on a slow embedded start can take many seconds.
 */
export class Listening extends Effect.Service<Listening>()("@pipeweave/orchestrator/Listening", {
  effect: Effect.map(Deferred.make<void>(), (opened) => ({
    open: Deferred.succeed(opened, undefined),
    await: Deferred.await(opened)
  }))
}) {}

/** Runs `effect` once the server has been listening for `delay`, in the layer's scope (it ends with the server). */
export const afterListening = (delay: Duration.DurationInput, effect: Effect.Effect<void>) =>
  Layer.scopedDiscard(Effect.flatMap(Listening, (listening) => Effect.forkScoped(Effect.zipRight(listening.await, Effect.delay(effect, delay)))))
