import { Effect } from "effect"

/**
 * Resumes once the event loop has run what is ready now (microtasks, `process.nextTick` callbacks
 * such as a pooled HTTP request's first write, then I/O callbacks): `setImmediate`, not a clock, so
 * it waits for no time that a TestClock would have to pass. Node.js only.
 */
export const pendingIo: Effect.Effect<void> = Effect.async((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})
