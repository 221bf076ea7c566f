import { Either } from "effect"
import { useEffect, useMemo, useState } from "preact/hooks"
import { readStored } from "../lib/OrchestratorClient"
import type { StoredOrchestrator } from "../lib/OrchestratorStore"
import { parseLogLines, preview, storedText } from "../lib/StoredText"
import { sizeText } from "../lib/TimeText"

type Loaded =
  | { readonly state: "loading" }
  | { readonly state: "failed"; readonly message: string }
  | { readonly state: "loaded"; readonly text: string; readonly size: number; readonly contentType: string }

const useStored = (orchestrator: StoredOrchestrator, path: string): Loaded => {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" })
  useEffect(() => {
    let current = true
    setLoaded({ state: "loading" })
    void readStored(orchestrator, path).then((result) => {
      if (!current) return
      setLoaded(
        Either.isRight(result)
          ? { state: "loaded", text: storedText(result.right), size: result.right.size, contentType: result.right.contentType }
          : { state: "failed", message: result.left.message }
      )
    })
    return () => {
      current = false
    }
  }, [orchestrator.id, path])
  return loaded
}

/** A link that saves the whole text (a blob: URL made in the page, nothing fetched again). */
const DownloadLink = (props: { readonly text: string; readonly contentType: string; readonly name: string }) => {
  const url = useMemo(() => URL.createObjectURL(new Blob([props.text], { type: props.contentType })), [props.text])
  useEffect(() => () => URL.revokeObjectURL(url), [url])
  return <a href={url} download={props.name}>Download the whole ({props.name})</a>
}

/**
 * A stored input, output or asset read through the storage API: its first characters, and for a
 * large one "Show all" and a download link for the whole.
 */
export const StoredContent = (props: { readonly orchestrator: StoredOrchestrator; readonly path: string; readonly label: string }) => {
  const loaded = useStored(props.orchestrator, props.path)
  const [whole, setWhole] = useState(false)
  if (loaded.state === "loading") return <p class="muted">Loading {props.label}…</p>
  if (loaded.state === "failed") return <p class="notice error">{props.label}: {loaded.message}</p>
  const shown = preview(loaded.text)
  const name = props.path.split("/").at(-1) ?? "content"
  return (
    <div class="stored" data-path={props.path}>
      <pre class="code" aria-label={props.label}>{whole ? loaded.text : shown.text}</pre>
      {shown.cut && (
        <p class="stored-cut">
          <span class="muted">Cut at {shown.text.length} characters of {sizeText(loaded.size)}.</span>{" "}
          <button type="button" onClick={() => setWhole(!whole)}>{whole ? "Show less" : "Show all"}</button>{" "}
          <DownloadLink text={loaded.text} contentType={loaded.contentType} name={name} />
        </p>
      )}
    </div>
  )
}

/** A task run's log lines (`.jsonl` from the storage API). */
export const LogLines = (props: { readonly orchestrator: StoredOrchestrator; readonly path: string }) => {
  const loaded = useStored(props.orchestrator, props.path)
  if (loaded.state === "loading") return <p class="muted">Loading log…</p>
  if (loaded.state === "failed") return <p class="muted">No log lines ({loaded.message}).</p>
  const lines = parseLogLines(loaded.text)
  if (lines.length === 0) return <p class="muted">No log lines.</p>
  return (
    <div class="table-wrap">
      <table class="log">
        <thead><tr><th>Time</th><th>Level</th><th>Message</th><th>Fields</th></tr></thead>
        <tbody>
          {lines.map((line, index) => (
            <tr key={index} class={`log-${line.level}`}>
              <td class="mono">{line.ts}</td>
              <td>{line.level}</td>
              <td class="wrap">{line.message}</td>
              <td class="mono wrap">{Object.keys(line.fields).length > 0 ? JSON.stringify(line.fields) : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
