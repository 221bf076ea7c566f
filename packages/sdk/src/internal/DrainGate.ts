import { Deferred, Effect, Exit } from "effect"

/**
 * Counts the dispatches a worker is executing and, once closed, refuses new ones; `idle` completes
 * when it is closed and the last running dispatch has finished.
 */
export interface DrainGate {
  readonly isClosed: () => boolean
  /** Admits one dispatch; `false` once the gate is closed. */
  readonly enter: () => boolean
  readonly leave: Effect.Effect<void>
  /** `leave`, where no effect can run (a fiber's observer). */
  readonly unsafeLeave: () => void
  readonly close: Effect.Effect<void>
  readonly running: () => number
  readonly idle: Effect.Effect<void>
}

export const makeDrainGate: Effect.Effect<DrainGate> = Effect.map(Deferred.make<void>(), (idle) => {
  let closed = false
  let running = 0
  const settle = () => {
    if (closed && running === 0) Deferred.unsafeDone(idle, Exit.void)
  }
  const unsafeLeave = () => {
    running--
    settle()
  }
  return {
    isClosed: () => closed,
    enter: () => {
      if (closed) return false
      running++
      return true
    },
    leave: Effect.sync(unsafeLeave),
    unsafeLeave,
    close: Effect.sync(() => {
      closed = true
      settle()
    }),
    running: () => running,
    idle: Deferred.await(idle)
  }
})
