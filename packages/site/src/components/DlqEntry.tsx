import type { DlqDetail } from "@pipeweave/domain/DeadLetter"
import { Either } from "effect"
import { useState } from "preact/hooks"
import { shortHash } from "../lib/CodeChanges"
import { callOrchestrator } from "../lib/OrchestratorClient"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import { codeHistoryUrl } from "../lib/PageLinks"
import { pageUrl, runUrl } from "../lib/SiteLinks"
import { sizeText, timeText } from "../lib/TimeText"
import { usePolling } from "../lib/usePolling"
import { StoredContent } from "./StoredContent"

const Input = (props: { readonly orchestrator: StoredOrchestrator; readonly entry: DlqDetail }) => {
  const { entry } = props
  if (!entry.inputTruncated) return <pre class="code" aria-label="Input">{JSON.stringify(entry.input ?? null, null, 2)}</pre>
  return (
    <>
      {entry.inputNote && <p class="muted">{entry.inputNote}</p>}
      <StoredContent orchestrator={props.orchestrator} path={entry.inputPath} label="Input" />
    </>
  )
}

/** One dead letter: its task, pipeline, input and every attempt's error; Retry runs it again. */
export const DlqEntry = (props: { readonly orchestrator: StoredOrchestrator; readonly id: string }) => {
  const polled = usePolling(`${props.orchestrator.id}/${props.id}`, () =>
    callOrchestrator(props.orchestrator, (client) => client.dlq.show({ path: { id: props.id } })), 10_000)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | undefined>(undefined)
  const entry = polled.data
  if (!entry) return polled.error ? <p class="notice error" role="alert">{polled.error.message}</p> : <p class="muted">Loading…</p>
  const retry = async () => {
    setBusy(true)
    setFailure(undefined)
    const result = await callOrchestrator(props.orchestrator, (client) => client.dlq.retry({ path: { id: entry.id } }))
    setBusy(false)
    if (Either.isLeft(result)) return setFailure(result.left.message)
    window.location.assign(runUrl(result.right.newRunId))
  }
  return (
    <section class="panel dlq-entry" data-dlq={entry.id} aria-labelledby="dlq-entry">
      <p><a href={pageUrl("dlq")}>All dead letters</a></p>
      <h2 id="dlq-entry">Dead letter <span class="mono">{entry.id}</span></h2>
      <dl class="facts">
        <div class="fact"><dt>Task</dt><dd><a href={codeHistoryUrl(entry.taskId)}>{entry.taskId}</a></dd></div>
        <div class="fact"><dt>Task run</dt><dd><a href={runUrl(entry.taskRunId)}>{entry.taskRunId}</a></dd></div>
        <div class="fact"><dt>Pipeline</dt><dd>
          {entry.pipeline
            ? <>{entry.pipeline.pipelineId} · <a href={runUrl(entry.pipeline.pipelineRunId)}>{entry.pipeline.pipelineRunId}</a>{" "}
              <span class={`status-${entry.pipeline.status}`}>{entry.pipeline.status}</span> · {entry.pipeline.failureMode}</>
            : "standalone"}
        </dd></div>
        <div class="fact"><dt>Code</dt><dd>v{entry.codeVersion} <span class="mono" title={entry.codeHash}>{shortHash(entry.codeHash)}</span></dd></div>
        <div class="fact"><dt>Attempts</dt><dd>{entry.attempts}</dd></div>
        <div class="fact"><dt>Failed</dt><dd>{timeText(entry.failedAt)}</dd></div>
        <div class="fact"><dt>Input size</dt><dd>{sizeText(entry.inputSize)}</dd></div>
        <div class="fact"><dt>Retried</dt><dd>
          {entry.retriedRunId ? <><a href={runUrl(entry.retriedRunId)}>{entry.retriedRunId}</a> {timeText(entry.retriedAt)}</> : "not yet"}
        </dd></div>
      </dl>
      <p class="notice error">{entry.errorCode && <strong class="mono">{entry.errorCode}</strong>} {entry.error}</p>
      {entry.errorDetails !== null && <pre class="code" aria-label="Error details">{JSON.stringify(entry.errorDetails, null, 2)}</pre>}
      <div class="actions">
        <button type="button" class="primary" onClick={() => void retry()} disabled={busy}>Retry</button>
        <span class="muted">Runs the task again with its current code.</span>
      </div>
      {failure && <p class="notice error" role="alert">{failure}</p>}
      <h3>Every attempt</h3>
      <div class="table-wrap">
        <table aria-label="Attempts">
          <thead><tr><th>#</th><th>When</th><th>Code</th><th>Error</th></tr></thead>
          <tbody>
            {entry.attemptErrors.map((attempt) => (
              <tr key={attempt.attempt}>
                <td>{attempt.attempt}</td>
                <td>{timeText(attempt.timestamp)}</td>
                <td class="mono">{attempt.errorCode ?? ""}</td>
                <td class="wrap">{attempt.error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Input</h3>
      <Input orchestrator={props.orchestrator} entry={entry} />
    </section>
  )
}
