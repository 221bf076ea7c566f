import { Deferred, Effect } from "effect"

/**
 * Counts the dispatches a worker is executing and, once closed, refuses new ones; `idle` completes
 * when it is closed and the last running dispatch has finished.
 */
export interface DrainGate {
  readonly isClosed: () => boolean
  /** Admits one dispatch; `false` once the gate is closed. */
  readonly enter: () => boolean
  readonly leave: Effect.Effect<void>
  readonly close: Effect.Effect<void>
  readonly running: () => number
  readonly idle: Effect.Effect<void>
}

export const makeDrainGate: Effect.Effect<DrainGate> = Effect.map(Deferred.make<void>(), (idle) => {
  let closed = false
  let running = 0
  const settle = Effect.suspend(() => closed && running === 0 ? Deferred.succeed(idle, undefined) : Effect.void)
  return {
    isClosed: () => closed,
    enter: () => {
      if (closed) return false
      running++
      return true
    },
    leave: Effect.suspend(() => {
      running--
      return settle
    }),
    close: Effect.suspend(() => {
      closed = true
      return settle
    }),
    running: () => running,
    idle: Deferred.await(idle)
  }
})
