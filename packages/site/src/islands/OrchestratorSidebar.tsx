import { useEffect, useState } from "preact/hooks"
import { presetServingOrchestrator } from "../lib/ServingOrchestrator"
import { removeOrchestrator, selectOrchestrator, type StoredOrchestrator } from "../lib/OrchestratorStore"
import { useOrchestrators } from "../lib/useOrchestrators"
import OrchestratorDialog from "./OrchestratorDialog"

type DialogState = { readonly open: false } | { readonly open: true; readonly editing: StoredOrchestrator | undefined }

/** The sidebar's orchestrator list: select one, add (+), edit, remove. */
export default function OrchestratorSidebar() {
  const { orchestrators, selectedId } = useOrchestrators()
  const [dialog, setDialog] = useState<DialogState>({ open: false })

  useEffect(() => {
    void presetServingOrchestrator()
  }, [])

  const remove = (orchestrator: StoredOrchestrator) => {
    if (window.confirm(`Remove ${orchestrator.name} (${orchestrator.url}) from this browser?`)) removeOrchestrator(orchestrator.id)
  }

  return (
    <section aria-label="Orchestrators">
      <div class="section-title">
        <span>Orchestrators</span>
        <button type="button" class="icon" aria-label="Add orchestrator" title="Add orchestrator" onClick={() => setDialog({ open: true, editing: undefined })}>
          +
        </button>
      </div>
      {orchestrators.length === 0 && <p class="muted" style="padding: 0 8px">None yet: add one with +.</p>}
      <ul class="orchestrators">
        {orchestrators.map((orchestrator) => (
          <li key={orchestrator.id}>
            <button type="button" class="pick" aria-pressed={orchestrator.id === selectedId} title={orchestrator.url} onClick={() => selectOrchestrator(orchestrator.id)}>
              {orchestrator.name}
            </button>
            <button type="button" class="icon" aria-label={`Edit ${orchestrator.name}`} title="Edit" onClick={() => setDialog({ open: true, editing: orchestrator })}>
              ✎
            </button>
            <button type="button" class="icon" aria-label={`Remove ${orchestrator.name}`} title="Remove" onClick={() => remove(orchestrator)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {dialog.open && <OrchestratorDialog editing={dialog.editing} onClose={() => setDialog({ open: false })} />}
    </section>
  )
}
