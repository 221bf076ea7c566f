import { selectedOrchestrator } from "../lib/OrchestratorStore"
import { useOrchestrators } from "../lib/useOrchestrators"

/** Dead Letter Queue: failed task runs of the selected orchestrator, retry them. */
export default function DlqPage() {
  const selected = selectedOrchestrator(useOrchestrators())
  if (!selected) return <p class="notice">Add an orchestrator with the <strong>+</strong> button in the sidebar.</p>
  return <p class="muted">Dead letter queue of {selected.name}.</p>
}
