import { selectedOrchestrator } from "../lib/OrchestratorStore"
import { useOrchestrators } from "../lib/useOrchestrators"

/** Dashboard: the selected orchestrator's overview, every stored orchestrator side by side. */
export default function Dashboard() {
  const state = useOrchestrators()
  const selected = selectedOrchestrator(state)
  if (!selected) return <p class="notice">Add an orchestrator with the <strong>+</strong> button in the sidebar.</p>
  return <p data-orchestrator={selected.url}>Connected to {selected.name} ({selected.url}).</p>
}
