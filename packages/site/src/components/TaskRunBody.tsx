import type { TaskRun } from "@pipeweave/domain/TaskRun"
import { changesBetweenAttempts, codeChanged, type CodeIdentity, shortHash } from "../lib/CodeChanges"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import { codeHistoryUrl } from "../lib/PageLinks"
import { runUrl } from "../lib/SiteLinks"
import { durationText, sizeText, timeText } from "../lib/TimeText"
import { LogLines, StoredContent } from "./StoredContent"

const Fact = (props: { readonly label: string; readonly children: preact.ComponentChildren }) => (
  <div class="fact"><dt>{props.label}</dt><dd>{props.children}</dd></div>
)

/** "code changed" marker with the reason as its text (not colour alone). */
const Changed = (props: { readonly what: string }) => <span class="badge warn">code changed {props.what}</span>

/**
 * Everything about one task run: state, progress, heartbeat, worker, code (flagging a change
 * between attempts or against `previousRun`), every attempt's error, input, output, assets, log.
 */
export const TaskRunBody = (props: {
  readonly orchestrator: StoredOrchestrator
  readonly run: TaskRun
  readonly previousRun?: CodeIdentity & { readonly runId: string }
}) => {
  const { run } = props
  const attemptChanges = changesBetweenAttempts(run.attempts)
  const lastAttempt = run.attempts.at(-1)
  const changedSincePrevious = props.previousRun !== undefined && codeChanged(props.previousRun, run)
  return (
    <div class="task-run" data-run={run.runId} data-status={run.status}>
      <dl class="facts">
        <Fact label="Status"><span class={`status-${run.status}`}>{run.status}</span></Fact>
        <Fact label="Attempt">{run.attempt} of {run.maxAttempts}</Fact>
        <Fact label="Code">
          <a href={codeHistoryUrl(run.taskId)}>{run.codeVersion === null ? "—" : `v${run.codeVersion}`}</a>{" "}
          <span class="mono" title={run.codeHash ?? ""}>{shortHash(run.codeHash)}</span>
          {changedSincePrevious && (
            <> <Changed what="since the previous run" /> <a href={runUrl(props.previousRun!.runId)}>{props.previousRun!.runId}</a></>
          )}
        </Fact>
        <Fact label="Worker">{lastAttempt?.workerUrl ?? "—"}</Fact>
        <Fact label="Progress">
          {run.progress
            ? (
              <>
                <progress max={100} value={run.progress.percent} aria-label="Progress">{run.progress.percent}%</progress>{" "}
                {Math.round(run.progress.percent)}%{run.progress.message ? ` · ${run.progress.message}` : ""}
              </>
            )
            : "—"}
        </Fact>
        <Fact label="Last heartbeat">{timeText(run.lastHeartbeatAt)}</Fact>
        <Fact label="Created">{timeText(run.createdAt)}</Fact>
        <Fact label="Started">{timeText(run.startedAt)}</Fact>
        <Fact label="Completed">{timeText(run.completedAt)}</Fact>
        <Fact label="Duration">
          {run.startedAt && run.completedAt ? durationText(run.completedAt.getTime() - run.startedAt.getTime()) : "—"}
        </Fact>
        {run.selectedNext && <Fact label="Selected next">{run.selectedNext.join(", ") || "none"}</Fact>}
      </dl>
      {run.error && (
        <p class="notice error" role="status">
          {run.errorCode && <strong class="mono">{run.errorCode}</strong>} {run.error}
        </p>
      )}
      <h4>Attempts</h4>
      {run.attempts.length === 0
        ? <p class="muted">No attempt yet.</p>
        : (
          <div class="table-wrap">
            <table class="attempts">
              <thead>
                <tr><th>#</th><th>Outcome</th><th>Code</th><th>Worker</th><th>Started</th><th>Took</th><th>Error</th></tr>
              </thead>
              <tbody>
                {run.attempts.map((attempt, index) => (
                  <tr key={attempt.attempt} data-attempt={attempt.attempt}>
                    <td>{attempt.attempt}</td>
                    <td class={`status-${attempt.status}`}>
                      {attempt.status}
                      {attempt.lateCallback && <span class="muted"> (late {attempt.lateCallback.status} callback refused)</span>}
                    </td>
                    <td>
                      v{attempt.codeVersion} <span class="mono" title={attempt.codeHash}>{shortHash(attempt.codeHash)}</span>
                      {attemptChanges[index] && <> <Changed what={`since attempt ${index}`} /></>}
                    </td>
                    <td>{attempt.workerUrl ?? "—"}</td>
                    <td>{timeText(attempt.startedAt)}</td>
                    <td>{attempt.endedAt ? durationText(attempt.endedAt.getTime() - attempt.startedAt.getTime()) : "running"}</td>
                    <td class="wrap">
                      {attempt.errorCode && <strong class="mono">{attempt.errorCode}</strong>} {attempt.error ?? ""}
                      {attempt.errorDetails !== null && (
                        <details>
                          <summary>Details</summary>
                          <pre class="code">{JSON.stringify(attempt.errorDetails, null, 2)}</pre>
                        </details>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      <h4>Input</h4>
      <StoredContent orchestrator={props.orchestrator} path={run.inputPath} label={`Input of ${run.runId}`} />
      <h4>Output</h4>
      {run.outputPath
        ? <StoredContent key={run.outputPath} orchestrator={props.orchestrator} path={run.outputPath} label={`Output of ${run.runId}`} />
        : <p class="muted">No output{run.status === "completed" ? "" : " yet"}.</p>}
      {Object.keys(run.assets).length > 0 && (
        <>
          <h4>Assets</h4>
          {Object.entries(run.assets).map(([name, asset]) => (
            <details key={name} class="asset">
              <summary><span class="mono">{name}</span> · {asset.type} · {sizeText(asset.size)}</summary>
              <StoredContent orchestrator={props.orchestrator} path={asset.path} label={`Asset ${name}`} />
            </details>
          ))}
        </>
      )}
      <h4>Log</h4>
      {run.logsPath
        ? <LogLines key={`${run.logsPath}/${run.attempts.length}/${run.status}`} orchestrator={props.orchestrator} path={run.logsPath} />
        : <p class="muted">No log lines.</p>}
    </div>
  )
}
