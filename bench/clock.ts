export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Wall-clock ms with sub-ms precision, comparable across processes on this machine. */
export const wallNow = () => performance.timeOrigin + performance.now()

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
