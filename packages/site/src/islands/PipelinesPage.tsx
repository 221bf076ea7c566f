import { selectedOrchestrator } from "../lib/OrchestratorStore"
import { useOrchestrators } from "../lib/useOrchestrators"

/** Pipelines: every pipeline of the selected orchestrator, trigger a run. */
export default function PipelinesPage() {
  const selected = selectedOrchestrator(useOrchestrators())
  if (!selected) return <p class="notice">Add an orchestrator with the <strong>+</strong> button in the sidebar.</p>
  return <p class="muted">Pipelines of {selected.name}.</p>
}
