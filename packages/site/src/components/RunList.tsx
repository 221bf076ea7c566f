import type { RunsPage } from "@pipeweave/domain/Pipeline"
import type { QueueItemsPage } from "@pipeweave/domain/Queue"
import { Effect } from "effect"
import { useState } from "preact/hooks"
import { callOrchestrator } from "../lib/OrchestratorClient"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import {
  changeFilters,
  filtersFromSearch,
  PAGE_SIZE,
  pageCount,
  PIPELINE_RUN_STATUSES,
  pipelineRunsQuery,
  type RunFilters,
  type RunKind,
  searchFromFilters,
  TASK_RUN_STATUSES,
  TIME_WINDOWS,
  type TimeWindow,
  taskRunsQuery
} from "../lib/RunFilters"
import { runUrl } from "../lib/SiteLinks"
import { durationText, timeText } from "../lib/TimeText"
import { usePolling } from "../lib/usePolling"

const WINDOW_LABELS: Record<TimeWindow, string> = { all: "Any time", "1h": "Last hour", "24h": "Last 24 hours", "7d": "Last 7 days" }

type Listed =
  | { readonly kind: "pipelines"; readonly page: typeof RunsPage.Type }
  | { readonly kind: "tasks"; readonly page: typeof QueueItemsPage.Type }

const listOf = (orchestrator: StoredOrchestrator, filters: RunFilters) =>
  callOrchestrator(orchestrator, (client): Effect.Effect<Listed, unknown> =>
    filters.kind === "pipelines"
      ? Effect.map(client.pipelines.runs({ urlParams: pipelineRunsQuery(filters, Date.now()) }), (page) => ({ kind: "pipelines" as const, page }))
      : Effect.map(client.queue.items({ urlParams: taskRunsQuery(filters, Date.now()) }), (page) => ({ kind: "tasks" as const, page })))

const Filters = (props: { readonly filters: RunFilters; readonly pipelineIds: ReadonlyArray<string>; readonly onChange: (change: Partial<RunFilters>) => void }) => {
  const { filters } = props
  const statuses = filters.kind === "pipelines" ? PIPELINE_RUN_STATUSES : TASK_RUN_STATUSES
  const [taskText, setTaskText] = useState(filters.taskId ?? "")
  return (
    <form class="filters" aria-label="Filter runs" onSubmit={(event) => {
      event.preventDefault()
      props.onChange({ taskId: taskText.trim() || undefined })
    }}>
      <label>
        Show
        <select value={filters.kind} onChange={(event) => props.onChange({ kind: event.currentTarget.value as RunKind })}>
          <option value="pipelines">Pipeline runs</option>
          <option value="tasks">Task runs</option>
        </select>
      </label>
      <label>
        Status
        <select value={filters.status ?? ""} onChange={(event) => props.onChange({ status: event.currentTarget.value || undefined })}>
          <option value="">Any</option>
          {statuses.map((status) => <option key={status} value={status}>{status}</option>)}
        </select>
      </label>
      {filters.kind === "pipelines"
        ? (
          <label>
            Pipeline
            <select value={filters.pipelineId ?? ""} onChange={(event) => props.onChange({ pipelineId: event.currentTarget.value || undefined })}>
              <option value="">Any</option>
              {[...new Set([...props.pipelineIds, ...(filters.pipelineId ? [filters.pipelineId] : [])])].map((id) => (
                <option key={id} value={id}>{id}</option>
              ))}
            </select>
          </label>
        )
        : (
          <>
            <label>
              Task
              <input type="search" value={taskText} placeholder="any task" onInput={(event) => setTaskText(event.currentTarget.value)}
                onBlur={() => (taskText.trim() || undefined) !== filters.taskId && props.onChange({ taskId: taskText.trim() || undefined })} />
            </label>
            <label class="inline">
              <input type="checkbox" checked={filters.standaloneOnly} onChange={(event) => props.onChange({ standaloneOnly: event.currentTarget.checked })} />
              Standalone only
            </label>
          </>
        )}
      <label>
        Time
        <select value={filters.window} onChange={(event) => props.onChange({ window: event.currentTarget.value as TimeWindow })}>
          {(Object.keys(TIME_WINDOWS) as Array<TimeWindow>).map((window) => <option key={window} value={window}>{WINDOW_LABELS[window]}</option>)}
        </select>
      </label>
      <button type="submit" class="visually-hidden">Apply</button>
    </form>
  )
}

/** Pipeline runs or task runs, filtered (the filters live in the URL), newest first, a page at a time. */
export const RunList = (props: { readonly orchestrator: StoredOrchestrator }) => {
  const [filters, setFilters] = useState(() => filtersFromSearch(new URLSearchParams(window.location.search)))
  const search = searchFromFilters(filters).toString()
  const list = usePolling(`${props.orchestrator.id}?${search}`, () => listOf(props.orchestrator, filters))
  const pipelines = usePolling(props.orchestrator.id, () =>
    callOrchestrator(props.orchestrator, (client) => client.pipelines.list()), 30_000)
  const change = (update: Partial<RunFilters>) => {
    const next = changeFilters(filters, update)
    setFilters(next)
    const query = searchFromFilters(next).toString()
    window.history.replaceState(null, "", `${window.location.pathname}${query ? `?${query}` : ""}`)
  }
  const data = list.data
  const total = data?.page.total ?? 0
  return (
    <>
      <Filters filters={filters} pipelineIds={pipelines.data?.map((p) => p.id) ?? []} onChange={change} key={filters.kind} />
      {list.error && <p class="notice error" role="alert">{list.error.message}</p>}
      {!list.settled && <p class="muted">Loading runs…</p>}
      {data && data.kind === "pipelines" && (
        <div class="table-wrap panel">
          <table aria-label="Pipeline runs">
            <thead><tr><th>Run</th><th>Pipeline</th><th>Status</th><th>Version</th><th>Started</th><th>Took</th></tr></thead>
            <tbody>
              {data.page.items.map((run) => (
                <tr key={run.runId} data-run={run.runId}>
                  <td class="mono"><a href={runUrl(run.runId)}>{run.runId}</a></td>
                  <td>{run.pipelineId}</td>
                  <td class={`status-${run.status}`}>{run.status}</td>
                  <td class="mono">{run.pipelineVersion}</td>
                  <td>{timeText(run.createdAt)}</td>
                  <td>{run.completedAt ? durationText(run.completedAt.getTime() - run.createdAt.getTime()) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.kind === "tasks" && (
        <div class="table-wrap panel">
          <table aria-label="Task runs">
            <thead><tr><th>Run</th><th>Task</th><th>Pipeline run</th><th>Status</th><th>Attempt</th><th>Created</th><th>Error</th></tr></thead>
            <tbody>
              {data.page.items.map((run) => (
                <tr key={run.runId} data-run={run.runId}>
                  <td class="mono"><a href={runUrl(run.runId)}>{run.runId}</a></td>
                  <td>{run.taskId}</td>
                  <td class="mono">{run.pipelineRunId ? <a href={runUrl(run.pipelineRunId)}>{run.pipelineRunId}</a> : "standalone"}</td>
                  <td class={`status-${run.status}`}>{run.status}</td>
                  <td>{run.attempt}</td>
                  <td>{timeText(run.createdAt)}</td>
                  <td class="wrap">{run.error ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {data && data.page.items.length === 0 && <p class="muted">No runs match.</p>}
      {data && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={filters.page === 0} onClick={() => change({ page: filters.page - 1 })}>Previous page</button>
          <span>Page {filters.page + 1} of {pageCount(total)} · {total} run{total === 1 ? "" : "s"} · {PAGE_SIZE} a page</span>
          <button type="button" disabled={filters.page + 1 >= pageCount(total)} onClick={() => change({ page: filters.page + 1 })}>Next page</button>
        </nav>
      )}
    </>
  )
}
