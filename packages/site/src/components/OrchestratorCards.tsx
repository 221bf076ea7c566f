import { Either } from "effect"
import { callHealth, callOrchestrator } from "../lib/OrchestratorClient"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import { usePolling } from "../lib/usePolling"

const loadCard = async (orchestrator: StoredOrchestrator) => {
  const health = await callHealth(orchestrator)
  if (Either.isLeft(health)) return Either.left(health.left)
  return Either.map(
    await callOrchestrator(orchestrator, (client) => client.queue.status()),
    (status) => ({ health: health.right, status })
  )
}

function OrchestratorCard({ orchestrator, selected }: { readonly orchestrator: StoredOrchestrator; readonly selected: boolean }) {
  const { data, error, settled } = usePolling(orchestrator.id, () => loadCard(orchestrator))
  const state = error ? (error.kind === "unauthorized" ? "key refused" : "unreachable") : data ? "healthy" : "checking"
  return (
    <article class={`panel orchestrator-card${selected ? " selected" : ""}`} data-state={settled ? state : "checking"} aria-label={orchestrator.name}>
      <h3>
        {orchestrator.name} <span class={error ? "bad" : data ? "ok" : "muted"}>● {state}</span>
      </h3>
      <p class="muted mono">{orchestrator.url}</p>
      {error && <p class="bad">{error.message}</p>}
      {data && (
        <dl class="counts">
          <div><dt>Pending</dt><dd>{data.status.pending}</dd></div>
          <div><dt>Running</dt><dd>{data.status.running}</dd></div>
          <div><dt>Completed</dt><dd>{data.status.completed}</dd></div>
          <div><dt>Failed</dt><dd>{data.status.failed}</dd></div>
          <div><dt>DLQ</dt><dd>{data.status.dlq}</dd></div>
          <div><dt>Mode</dt><dd>{data.health.mode}</dd></div>
        </dl>
      )}
    </article>
  )
}

/** Every stored orchestrator's health and counts, side by side. */
export default function OrchestratorCards(
  { orchestrators, selectedId }: { readonly orchestrators: ReadonlyArray<StoredOrchestrator>; readonly selectedId: string | undefined }
) {
  return (
    <div class="cards">
      {orchestrators.map((orchestrator) => (
        // Keyed by id and URL/key: editing an entry restarts its polling.
        <OrchestratorCard key={`${orchestrator.id}|${orchestrator.url}|${orchestrator.apiKey ?? ""}`} orchestrator={orchestrator} selected={orchestrator.id === selectedId} />
      ))}
    </div>
  )
}

