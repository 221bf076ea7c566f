import type { ComponentChildren } from "preact"
import { useEffect, useRef } from "preact/hooks"

/**
 * A modal confirmation (native <dialog>: focus is trapped, Escape cancels). Shown while `open`;
 * `onClose(true)` when confirmed, `onClose(false)` when cancelled.
 */
export const ConfirmDialog = (props: {
  readonly open: boolean
  readonly title: string
  readonly confirmLabel: string
  readonly onClose: (confirmed: boolean) => void
  readonly children: ComponentChildren
}) => {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (props.open && !dialog.open) dialog.showModal()
    if (!props.open && dialog.open) dialog.close()
  }, [props.open])
  return (
    <dialog ref={ref} aria-label={props.title} onCancel={(event) => {
      event.preventDefault()
      props.onClose(false)
    }}>
      <form method="dialog" onSubmit={(event) => {
        event.preventDefault()
        props.onClose(true)
      }}>
        <h2>{props.title}</h2>
        <div class="message">{props.children}</div>
        <div class="actions">
          <button type="button" onClick={() => props.onClose(false)}>Cancel</button>
          <button type="submit" class="primary">{props.confirmLabel}</button>
        </div>
      </form>
    </dialog>
  )
}
