import { DryRunRequest, type DryRunResult, TriggerRequest } from "@pipeweave/domain/Pipeline"
import type { FailureMode } from "@pipeweave/domain/pipeline/Routing"
import { Either } from "effect"
import { useState } from "preact/hooks"
import { parseJsonInput } from "../lib/JsonInput"
import { callOrchestrator } from "../lib/OrchestratorClient"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import { runUrl } from "../lib/SiteLinks"

const FAILURE_MODES: ReadonlyArray<FailureMode> = ["fail-fast", "continue", "partial-merge"]

/** What was checked with a dry run: the plan is valid for exactly this input text and mode. */
interface Checked {
  readonly text: string
  readonly failureMode: FailureMode
  readonly result: DryRunResult
}

/**
 * Trigger a pipeline run with a JSON input: the input is parsed in the page (an error is shown
 * next to the field and nothing is sent), the dry-run plan is shown first, then "Trigger run"
 * starts the run and opens its page.
 */
export const TriggerForm = (props: { readonly orchestrator: StoredOrchestrator; readonly pipelineId: string }) => {
  const [text, setText] = useState("{}")
  const [failureMode, setFailureMode] = useState<FailureMode>("fail-fast")
  const [inputError, setInputError] = useState<string | undefined>(undefined)
  const [checked, setChecked] = useState<Checked | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | undefined>(undefined)
  const fieldId = `input-${props.pipelineId}`
  const upToDate = checked !== undefined && checked.text === text && checked.failureMode === failureMode

  const parsed = () => {
    const result = parseJsonInput(text)
    setInputError(result.ok ? undefined : result.message)
    return result
  }

  const dryRun = async () => {
    const input = parsed()
    setFailure(undefined)
    if (!input.ok) return
    setBusy(true)
    const result = await callOrchestrator(props.orchestrator, (client) =>
      client.pipelines.dryRun({ path: { id: props.pipelineId }, payload: new DryRunRequest({ input: input.value }) }))
    setBusy(false)
    if (Either.isLeft(result)) return setFailure(result.left.message)
    setChecked({ text, failureMode, result: result.right })
  }

  const trigger = async () => {
    const input = parsed()
    setFailure(undefined)
    if (!input.ok) return
    setBusy(true)
    const result = await callOrchestrator(props.orchestrator, (client) =>
      client.pipelines.trigger({ path: { id: props.pipelineId }, payload: new TriggerRequest({ input: input.value, failureMode }) }))
    setBusy(false)
    if (Either.isLeft(result)) return setFailure(result.left.message)
    window.location.assign(runUrl(result.right.pipelineRunId))
  }

  return (
    <form class="trigger" aria-label={`Trigger ${props.pipelineId}`} onSubmit={(event) => {
      event.preventDefault()
      void (upToDate && checked.result.valid ? trigger() : dryRun())
    }}>
      <label for={fieldId}>Input (JSON)</label>
      <textarea
        id={fieldId}
        name="input"
        rows={5}
        spellcheck={false}
        value={text}
        aria-invalid={inputError !== undefined}
        aria-describedby={inputError ? `${fieldId}-error` : undefined}
        onInput={(event) => {
          setText(event.currentTarget.value)
          if (inputError) setInputError(undefined)
        }}
      />
      {inputError && <p id={`${fieldId}-error`} class="field-error" role="alert">{inputError}</p>}
      <label>
        Failure mode{" "}
        <select value={failureMode} onChange={(event) => setFailureMode(event.currentTarget.value as FailureMode)}>
          {FAILURE_MODES.map((mode) => <option key={mode} value={mode}>{mode}</option>)}
        </select>
      </label>
      <div class="actions">
        <button type="button" onClick={() => void dryRun()} disabled={busy}>Dry run</button>
        <button type="button" class="primary" onClick={() => void trigger()} disabled={busy || !upToDate || !checked?.result.valid}>
          Trigger run
        </button>
      </div>
      {!upToDate && <p class="muted">The dry run shows the plan; then "Trigger run" starts it.</p>}
      {failure && <p class="notice error" role="alert">{failure}</p>}
      {checked && (
        <div class={`plan${upToDate ? "" : " stale"}`} aria-label="Dry-run plan">
          <h3>Plan {checked.result.valid ? <span class="ok">valid</span> : <span class="bad">not valid</span>}
            {checked.result.pipelineVersion && <span class="muted"> · version {checked.result.pipelineVersion}</span>}
            {!upToDate && <span class="muted"> · for an earlier input</span>}
          </h3>
          <pre class="code">{checked.result.lines.join("\n")}</pre>
          {checked.result.warnings.map((warning) => <p key={warning} class="warn">⚠ {warning}</p>)}
          {checked.result.problems.map((problem) => <p key={problem} class="bad">✖ {problem}</p>)}
        </div>
      )}
    </form>
  )
}
