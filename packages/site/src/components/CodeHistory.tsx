import { shortHash } from "../lib/CodeChanges"
import { callOrchestrator } from "../lib/OrchestratorClient"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import { pageUrl } from "../lib/SiteLinks"
import { timeText } from "../lib/TimeText"
import { usePolling } from "../lib/usePolling"

/** A task type's code history, newest first: every version, its hash and when it was recorded. */
export const CodeHistory = (props: { readonly orchestrator: StoredOrchestrator; readonly taskId: string }) => {
  const history = usePolling(`${props.orchestrator.id}/${props.taskId}`, () =>
    callOrchestrator(props.orchestrator, (client) => client.services.history({ path: { id: props.taskId } })), 10_000)
  return (
    <section class="panel" aria-labelledby="code-history">
      <h2 id="code-history">Code history of <span class="mono">{props.taskId}</span></h2>
      <p><a href={pageUrl("pipelines")}>All pipelines</a> · <a href={pageUrl("runs", { kind: "tasks", task: props.taskId })}>Runs of this task</a></p>
      {history.error && <p class="notice error">{history.error.message}</p>}
      {!history.settled && <p class="muted">Loading…</p>}
      {history.data && (
        <div class="table-wrap">
          <table>
            <thead><tr><th>Version</th><th>Code hash</th><th>Service version</th><th>Recorded</th><th>Service</th></tr></thead>
            <tbody>
              {history.data.map((entry) => (
                <tr key={entry.code_version}>
                  <td>v{entry.code_version}</td>
                  <td class="mono" title={entry.code_hash}>{shortHash(entry.code_hash)}</td>
                  <td>{entry.service_version}</td>
                  <td>{timeText(entry.recorded_at)}</td>
                  <td>
                    {entry.service_id ?? ""}
                    {entry.taken_over_from ? <span class="warn"> (taken over from {entry.taken_over_from})</span> : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {history.data && history.data.length === 0 && <p class="muted">No code recorded yet.</p>}
    </section>
  )
}
