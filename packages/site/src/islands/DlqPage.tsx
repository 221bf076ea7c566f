import { DlqPurgeRequest, DlqRetryAllRequest } from "@pipeweave/domain/DeadLetter"
import { Either } from "effect"
import { useState } from "preact/hooks"
import { ConfirmDialog } from "../components/ConfirmDialog"
import { DlqEntry } from "../components/DlqEntry"
import { callOrchestrator } from "../lib/OrchestratorClient"
import { type StoredOrchestrator, selectedOrchestrator } from "../lib/OrchestratorStore"
import { dlqEntryUrl } from "../lib/PageLinks"
import { runUrl } from "../lib/SiteLinks"
import { timeText } from "../lib/TimeText"
import { useOrchestrators } from "../lib/useOrchestrators"
import { usePolling } from "../lib/usePolling"

const PAGE_SIZE = 25
const HOUR = 3_600_000
const DAY = 24 * HOUR
const PURGE_AGES = [["1h", "1 hour", HOUR], ["1d", "1 day", DAY], ["7d", "7 days", 7 * DAY], ["30d", "30 days", 30 * DAY]] as const

type Pending =
  | { readonly action: "retry-all"; readonly scope: { readonly pipelineId: string } | { readonly taskId: string } }
  | { readonly action: "purge"; readonly olderThanMs: number; readonly label: string }

const scopeText = (scope: { readonly pipelineId: string } | { readonly taskId: string }) =>
  "pipelineId" in scope ? `pipeline ${scope.pipelineId}` : `task ${scope.taskId}`

const DlqList = (props: { readonly orchestrator: StoredOrchestrator }) => {
  const [page, setPage] = useState(0)
  const [includeRetried, setIncludeRetried] = useState(false)
  const [refresh, setRefresh] = useState(0)
  const [scope, setScope] = useState("")
  const [age, setAge] = useState<string>("7d")
  const [pending, setPending] = useState<Pending | undefined>(undefined)
  const [outcome, setOutcome] = useState<{ readonly ok: boolean; readonly text: string } | undefined>(undefined)
  const list = usePolling(`${props.orchestrator.id}/${page}/${includeRetried}/${refresh}`, () =>
    callOrchestrator(props.orchestrator, (client) =>
      client.dlq.list({ urlParams: { includeRetried, limit: PAGE_SIZE, offset: page * PAGE_SIZE } })))
  const items = list.data?.items ?? []
  const pipelines = usePolling(props.orchestrator.id, () => callOrchestrator(props.orchestrator, (client) => client.pipelines.list()), 30_000)
  const scopes = [
    ...(pipelines.data ?? []).map((p) => `pipeline:${p.id}`),
    ...items.flatMap((item) => (item.pipelineId ? [`pipeline:${item.pipelineId}`] : [])),
    ...items.map((item) => `task:${item.taskId}`)
  ]

  const confirm = async (confirmed: boolean) => {
    const action = pending
    setPending(undefined)
    if (!confirmed || !action) return
    if (action.action === "retry-all") {
      const result = await callOrchestrator(props.orchestrator, (client) =>
        client.dlq.retryAll({ payload: new DlqRetryAllRequest(action.scope) }))
      setOutcome(Either.isRight(result)
        ? { ok: true, text: `Retried ${result.right.retried} dead letter${result.right.retried === 1 ? "" : "s"} of ${scopeText(action.scope)}.` }
        : { ok: false, text: result.left.message })
    } else {
      const result = await callOrchestrator(props.orchestrator, (client) =>
        client.dlq.purge({ payload: new DlqPurgeRequest({ olderThan: action.olderThanMs }) }))
      setOutcome(Either.isRight(result)
        ? { ok: true, text: `Purged ${result.right.purged} dead letter${result.right.purged === 1 ? "" : "s"} older than ${action.label}.` }
        : { ok: false, text: result.left.message })
    }
    setRefresh(refresh + 1)
  }

  const total = list.data?.total ?? 0
  return (
    <>
      <section class="panel dlq-actions" aria-label="Bulk actions">
        <form class="filters" onSubmit={(event) => {
          event.preventDefault()
          if (!scope) return
          const [kind, id] = [scope.slice(0, scope.indexOf(":")), scope.slice(scope.indexOf(":") + 1)]
          setPending({ action: "retry-all", scope: kind === "pipeline" ? { pipelineId: id } : { taskId: id } })
        }}>
          <label>
            Retry all of
            <select value={scope} onChange={(event) => setScope(event.currentTarget.value)}>
              <option value="">choose a pipeline or task</option>
              {[...new Set(scopes)].map((value) => <option key={value} value={value}>{value.replace(":", " ")}</option>)}
            </select>
          </label>
          <button type="submit" disabled={!scope}>Retry all…</button>
        </form>
        <form class="filters" onSubmit={(event) => {
          event.preventDefault()
          const [, label, ms] = PURGE_AGES.find(([value]) => value === age) ?? PURGE_AGES[2]
          setPending({ action: "purge", olderThanMs: ms, label })
        }}>
          <label>
            Purge entries older than
            <select value={age} onChange={(event) => setAge(event.currentTarget.value)}>
              {PURGE_AGES.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
          </label>
          <button type="submit">Purge…</button>
        </form>
        <label class="inline">
          <input type="checkbox" checked={includeRetried} onChange={(event) => {
            setIncludeRetried(event.currentTarget.checked)
            setPage(0)
          }} />
          Include retried entries
        </label>
      </section>
      {outcome && <p class={`notice${outcome.ok ? "" : " error"}`} role="status">{outcome.text}</p>}
      {list.error && <p class="notice error" role="alert">{list.error.message}</p>}
      {!list.settled && <p class="muted">Loading…</p>}
      {list.data && (
        <div class="table-wrap panel">
          <table aria-label="Dead letters">
            <thead><tr><th>Entry</th><th>Task</th><th>Pipeline</th><th>Pipeline run</th><th>Error</th><th>Attempts</th><th>Failed</th><th>Retried as</th></tr></thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.id} data-dlq={item.id}>
                  <td class="mono"><a href={dlqEntryUrl(item.id)}>{item.id}</a></td>
                  <td>{item.taskId}</td>
                  <td>{item.pipelineId ?? "standalone"}</td>
                  <td class="mono">{item.pipelineRunId ? <a href={runUrl(item.pipelineRunId)}>{item.pipelineRunId}</a> : "standalone"}</td>
                  <td class="wrap">{item.errorCode && <strong class="mono">{item.errorCode} </strong>}{item.error}</td>
                  <td>{item.attempts}</td>
                  <td>{timeText(item.failedAt)}</td>
                  <td class="mono">{item.retriedRunId ? <a href={runUrl(item.retriedRunId)}>{item.retriedRunId}</a> : ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.length === 0 && <p class="muted">The dead letter queue is empty.</p>}
        </div>
      )}
      {list.data && total > PAGE_SIZE && (
        <nav class="pager" aria-label="Pages">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous page</button>
          <span>Page {page + 1} of {Math.ceil(total / PAGE_SIZE)} · {total} entries</span>
          <button type="button" disabled={(page + 1) * PAGE_SIZE >= total} onClick={() => setPage(page + 1)}>Next page</button>
        </nav>
      )}
      <ConfirmDialog
        open={pending !== undefined}
        title={pending?.action === "purge" ? "Purge dead letters" : "Retry dead letters"}
        confirmLabel={pending?.action === "purge" ? "Purge" : "Retry all"}
        onClose={(confirmed) => void confirm(confirmed)}
      >
        {pending?.action === "retry-all" && <p>Run every dead letter of {scopeText(pending.scope)} that was not retried yet again, with the current code?</p>}
        {pending?.action === "purge" && <p>Delete every dead letter that failed more than {pending.label} ago, retried or not? This cannot be undone.</p>}
      </ConfirmDialog>
    </>
  )
}

/** Dead Letter Queue: failed task runs of the selected orchestrator; `?id=<entry>` shows one entry. */
export default function DlqPage() {
  const selected = selectedOrchestrator(useOrchestrators())
  const id = new URLSearchParams(window.location.search).get("id")
  if (!selected) return <p class="notice">Add an orchestrator with the <strong>+</strong> button in the sidebar.</p>
  return id ? <DlqEntry key={id} orchestrator={selected} id={id} /> : <DlqList orchestrator={selected} />
}
