import { PipelineRunView, TaskRunView } from "../components/RunDetail"
import { RunList } from "../components/RunList"
import { selectedOrchestrator } from "../lib/OrchestratorStore"
import { runIdFromLocation } from "../lib/SiteLinks"
import { useOrchestrators } from "../lib/useOrchestrators"

/** Runs: the list with filters, or one run's detail when opened as `runs/?id=<id>` or `/runs/<id>`. */
export default function RunsPage() {
  const selected = selectedOrchestrator(useOrchestrators())
  const runId = runIdFromLocation()
  if (!selected) return <p class="notice">Add an orchestrator with the <strong>+</strong> button in the sidebar.</p>
  if (!runId) return <RunList orchestrator={selected} />
  return runId.startsWith("trun_")
    ? <TaskRunView key={runId} orchestrator={selected} runId={runId} />
    : <PipelineRunView key={runId} orchestrator={selected} runId={runId} />
}
