export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Milliseconds on the machine's monotonic clock (`CLOCK_MONOTONIC`, which `process.hrtime` reads),
 * with sub-ms precision: one clock for every process on this machine, so a time taken in one
 * process compares with a time taken in another. `performance.timeOrigin + performance.now()`
 * does not: each process anchors it to the wall clock once, when it starts, and while NTP slews
 * the wall clock (by up to 0.5% here after a boot) two processes started seconds apart disagree
 * by milliseconds.
 */
export const sharedNow = () => Number(process.hrtime.bigint()) / 1e6

/**
 * How far the wall clock (`Date.now()`, which the orchestrator stamps runs with) is ahead of
 * `sharedNow()` at this moment, to a few µs: read where `Date.now()` ticks over to its next
 * millisecond (a busy wait of up to 1 ms). A wall-clock stamp minus it is on the shared clock, as
 * long as it was taken near this moment.
 */
export const wallAhead = (): number => {
  const start = Date.now()
  let wall = start
  while (wall === start) wall = Date.now()
  return wall - sharedNow()
}

/**
 * Polls `check` until it returns a value other than `undefined`, at most until `deadlineMs` has
 * passed; `what` names the wait in the error.
 */
export const pollUntil = async <A>(
  what: string,
  check: () => Promise<A | undefined> | A | undefined,
  { deadlineMs, intervalMs }: { readonly deadlineMs: number; readonly intervalMs: number }
): Promise<A> => {
  const end = performance.now() + deadlineMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > end) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}
