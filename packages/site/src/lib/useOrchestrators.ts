import { useEffect, useState } from "preact/hooks"
import { getState, type OrchestratorState, subscribe } from "./OrchestratorStore"

/**
 * Subscribes `setState` to the store and hands it the current state at once: an island subscribes
 * in an effect, after its first render, and another island may change the store in between (the
 * sidebar adds the serving orchestrator on a first visit to `/ui/`). Returns the unsubscribe function.
 */
export const followStore = (setState: (state: OrchestratorState) => void): () => void => {
  const unsubscribe = subscribe(setState)
  setState(getState())
  return unsubscribe
}

/** The orchestrator store as Preact state: re-renders on every change. */
export const useOrchestrators = (): OrchestratorState => {
  const [state, setState] = useState(getState)
  useEffect(() => followStore(setState), [])
  return state
}
