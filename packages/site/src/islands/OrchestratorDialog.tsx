import { useEffect, useRef, useState } from "preact/hooks"
import { checkOrchestrator } from "../lib/ConnectionCheck"
import { addOrchestrator, findByUrl, type StoredOrchestrator, updateOrchestrator } from "../lib/OrchestratorStore"

interface Props {
  /** The entry being edited; adds a new one when absent. */
  readonly editing: StoredOrchestrator | undefined
  readonly onClose: () => void
}

/**
 * The Add / Edit orchestrator dialog: Name, URL, API key. The entry is saved only after the URL
 * answered as an orchestrator and the key was accepted; otherwise the failure is shown.
 */
export default function OrchestratorDialog({ editing, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [name, setName] = useState(editing?.name ?? "")
  const [url, setUrl] = useState(editing?.url ?? "")
  const [apiKey, setApiKey] = useState(editing?.apiKey ?? "")
  const [checking, setChecking] = useState(false)
  const [message, setMessage] = useState<string | undefined>(undefined)

  useEffect(() => {
    dialog.current?.showModal()
  }, [])

  const submit = async (event: Event) => {
    event.preventDefault()
    if (name.trim().length === 0) return setMessage("Enter a name, e.g. Production.")
    const existing = findByUrl(url)
    if (existing && existing.id !== editing?.id) return setMessage(`${existing.url} is already in the list, as ${existing.name}.`)
    setChecking(true)
    setMessage(undefined)
    const input = { name, url, apiKey }
    const result = await checkOrchestrator(input)
    setChecking(false)
    if (!result.ok) return setMessage(result.message)
    if (editing) updateOrchestrator(editing.id, input)
    else addOrchestrator(input)
    onClose()
  }

  const title = editing ? `Edit ${editing.name}` : "Add orchestrator"
  return (
    <dialog ref={dialog} aria-label={title} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <h2>{title}</h2>
        <label>
          Name
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="Production" required autoFocus />
        </label>
        <label>
          URL
          <input name="url" type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="http://localhost:3000" required />
        </label>
        <label>
          API key
          <input name="apiKey" type="password" value={apiKey} onInput={(e) => setApiKey(e.currentTarget.value)} placeholder="optional" autoComplete="off" />
        </label>
        {message && <p class="message notice error" role="alert">{message}</p>}
        {checking && <p class="message muted" role="status">Checking the orchestrator…</p>}
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>Cancel</button>
          <button type="submit" class="primary" disabled={checking}>{editing ? "Save" : "Add"}</button>
        </div>
      </form>
    </dialog>
  )
}
