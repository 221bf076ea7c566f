import { Effect } from "effect"
import OrchestratorCards from "../components/OrchestratorCards"
import ThroughputChart from "../components/ThroughputChart"
import { ago, duration } from "../lib/Format"
import { callOrchestrator } from "../lib/OrchestratorClient"
import { selectedOrchestrator, type StoredOrchestrator } from "../lib/OrchestratorStore"
import { pageUrl, runUrl } from "../lib/SiteLinks"
import { useOrchestrators } from "../lib/useOrchestrators"
import { usePolling } from "../lib/usePolling"

const page = { limit: 8, offset: 0 }

/** Everything the dashboard shows of one orchestrator, in one round of parallel calls. */
const loadOverview = (orchestrator: StoredOrchestrator) =>
  callOrchestrator(orchestrator, (client) =>
    Effect.all({
      status: client.queue.status(),
      throughput: client.queue.throughput(),
      runs: client.pipelines.runs({ urlParams: page }),
      tasks: client.queue.items({ urlParams: page }),
      pipelines: client.pipelines.list(),
      services: client.services.list()
    }, { concurrency: "unbounded" }))


function Stat({ label, value, tone }: { readonly label: string; readonly value: number | string; readonly tone?: string }) {
  return (
    <div class="stat" data-stat={label}>
      <div class={`value ${tone ?? ""}`}>{value}</div>
      <div class="label">{label}</div>
    </div>
  )
}

/** Dashboard: the selected orchestrator's overview, live, and every stored orchestrator side by side. */
export default function Dashboard() {
  const state = useOrchestrators()
  const selected = selectedOrchestrator(state)
  const key = selected ? `${selected.id}|${selected.url}|${selected.apiKey ?? ""}` : undefined
  const { data, error, settled } = usePolling(key, () => loadOverview(selected!))

  if (!selected) {
    return <p class="notice">Add an orchestrator with the <strong>+</strong> button in the sidebar.</p>
  }
  const now = Date.now()
  return (
    <div class="dashboard" data-orchestrator={selected.url} data-loaded={settled ? "true" : "false"}>
      <p class="muted">
        <strong>{selected.name}</strong> · <span class="mono">{selected.url}</span> · refreshes every few seconds
      </p>
      {error && (
        <p class="notice error" role="alert">
          {error.kind === "unauthorized"
            ? `${selected.name} refused the API key${selected.apiKey ? "" : " (none entered)"}: enter its PIPEWEAVE_API_TOKEN with the ✎ (Edit) button beside it in the sidebar.`
            : `${selected.name}: ${error.message}`}
        </p>
      )}
      {data && (
        <>
          <section class="stats" aria-label="Task runs by status">
            <Stat label="Pending" value={data.status.pending} tone="warn" />
            <Stat label="Running" value={data.status.running} tone="warn" />
            <Stat label="Waiting" value={data.status.waiting} />
            <Stat label="Completed" value={data.status.completed} tone="ok" />
            <Stat label="Failed" value={data.status.failed} tone={data.status.failed > 0 ? "bad" : ""} />
            <Stat label="Dead letters" value={data.status.dlq} tone={data.status.dlq > 0 ? "bad" : ""} />
          </section>
          <div class="grid">
            <section class="panel" aria-label="Throughput">
              <h2>Last hour: {data.throughput.completed} completed, {data.throughput.failed} failed</h2>
              <ThroughputChart throughput={data.throughput} />
              <p class="muted">
                Oldest pending: {ago(data.status.oldestPending, now)} · <a href={pageUrl("dlq")}>Dead letter queue ({data.status.dlq})</a>
              </p>
            </section>
            <section class="panel" aria-label="Services">
              <h2>Services</h2>
              {data.services.length === 0 && <p class="muted">No worker registered yet.</p>}
              <ul class="plain">
                {data.services.map((service) => (
                  <li key={service.serviceId}>
                    <strong>{service.serviceId}</strong> <span class="muted">v{service.version} · {service.tasks.length} tasks</span>
                    <ul class="instances">
                      {service.instances.map((instance) => (
                        <li key={instance.baseUrl}>
                          <span class={instance.unreachableSince ? "bad" : "ok"}>●</span>{" "}
                          <span class="mono">{instance.baseUrl}</span>{" "}
                          <span class="muted">
                            {instance.unreachableSince
                              ? `unreachable since ${ago(instance.unreachableSince, now)}`
                              : `last contact ${ago(instance.lastSeenAt, now)}`}
                          </span>
                        </li>
                      ))}
                    </ul>
                  </li>
                ))}
              </ul>
            </section>
          </div>
          <div class="grid">
            <section class="panel" aria-label="Recent pipeline runs">
              <h2>Recent pipeline runs</h2>
              {data.runs.items.length === 0 ? <p class="muted">No pipeline run yet.</p> : (
                <div class="table-wrap">
                  <table>
                    <thead><tr><th>Run</th><th>Pipeline</th><th>Status</th><th>Started</th></tr></thead>
                    <tbody>
                      {data.runs.items.map((run) => (
                        <tr key={run.runId}>
                          <td class="mono"><a href={runUrl(run.runId)}>{run.runId}</a></td>
                          <td>{run.pipelineId}</td>
                          <td class={`status-${run.status}`}>{run.status}</td>
                          <td>{ago(run.createdAt, now)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
            <section class="panel" aria-label="Recent task runs">
              <h2>Recent task runs</h2>
              {data.tasks.items.length === 0 ? <p class="muted">No task run yet.</p> : (
                <div class="table-wrap">
                  <table>
                    <thead><tr><th>Task</th><th>Status</th><th>Created</th><th>Took</th></tr></thead>
                    <tbody>
                      {data.tasks.items.map((run) => (
                        <tr key={run.runId} title={run.runId}>
                          <td>{run.taskId}</td>
                          <td class={`status-${run.status}`}>{run.status}</td>
                          <td>{ago(run.createdAt, now)}</td>
                          <td>{run.startedAt && run.completedAt ? duration(run.completedAt.getTime() - run.startedAt.getTime()) : "—"}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </div>
          <section class="panel" aria-label="Pipelines">
            <h2>Pipelines</h2>
            {data.pipelines.length === 0 ? <p class="muted">No pipeline registered.</p> : (
              <div class="table-wrap">
                <table>
                  <thead><tr><th>Pipeline</th><th>Tasks</th><th>Last run</th></tr></thead>
                  <tbody>
                    {data.pipelines.map((pipeline) => (
                      <tr key={pipeline.id}>
                        <td><a href={pageUrl("pipelines")}>{pipeline.id}</a></td>
                        <td>{pipeline.tasks.length}</td>
                        <td>
                          {pipeline.lastRun
                            ? <a href={runUrl(pipeline.lastRun.runId)} class={`status-${pipeline.lastRun.status}`}>{pipeline.lastRun.status}, {ago(pipeline.lastRun.createdAt, now)}</a>
                            : <span class="muted">never</span>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
      {!settled && <p class="muted" role="status">Loading…</p>}
      <h2 class="spaced">All orchestrators</h2>
      <OrchestratorCards orchestrators={state.orchestrators} selectedId={state.selectedId} />
    </div>
  )
}
