import { useEffect, useState } from "preact/hooks"
import { getState, type OrchestratorState, subscribe } from "./OrchestratorStore"

/** The orchestrator store as Preact state: re-renders on every change. */
export const useOrchestrators = (): OrchestratorState => {
  const [state, setState] = useState(getState)
  useEffect(() => subscribe(setState), [])
  return state
}
