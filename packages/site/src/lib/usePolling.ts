import { Either } from "effect"
import { useEffect, useRef, useState } from "preact/hooks"
import type { CallFailure } from "./OrchestratorClient"

/** How often live pages refresh. */
export const REFRESH_MS = 3000

export interface Polled<A> {
  /** The last successful answer: kept while the next one loads, so nothing blanks. */
  readonly data: A | undefined
  /** The last call's failure, cleared by the next success. */
  readonly error: CallFailure | undefined
  /** Whether any answer (or failure) arrived yet. */
  readonly settled: boolean
}

/**
 * Calls `load` now and every `intervalMs` (one call at a time), restarting when `key` changes
 * (e.g. the selected orchestrator's id). Keeps the previous data while a call is in flight.
 * Stops once an answer satisfies `final` (a run that has ended does not change any more).
 */
export const usePolling = <A>(
  key: string | undefined,
  load: () => Promise<Either.Either<A, CallFailure>>,
  intervalMs: number = REFRESH_MS,
  final: (data: A) => boolean = () => false
): Polled<A> => {
  const [state, setState] = useState<Polled<A>>({ data: undefined, error: undefined, settled: false })
  const loadRef = useRef(load)
  loadRef.current = load
  const finalRef = useRef(final)
  finalRef.current = final

  useEffect(() => {
    setState({ data: undefined, error: undefined, settled: false })
    if (key === undefined) return
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = async () => {
      const result = await loadRef.current()
      if (stopped) return
      setState((previous) =>
        Either.isRight(result)
          ? { data: result.right, error: undefined, settled: true }
          : { data: previous.data, error: result.left, settled: true }
      )
      if (Either.isRight(result) && finalRef.current(result.right)) return
      timer = setTimeout(tick, intervalMs)
    }
    void tick()
    return () => {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    }
  }, [key, intervalMs])

  return state
}
