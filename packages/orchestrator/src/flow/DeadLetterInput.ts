import { DlqInputLimitBytes } from "@pipeweave/domain/DeadLetter"
import type { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Effect, Option } from "effect"
import type { DeadLetterRow } from "../store/DeadLetterStore.js"
import { parseInline } from "./InlinePayload.js"

type Backends = typeof StorageBackends.Service

/** How a dead letter's input is shown by `GET /api/dlq/:id`. */
export interface DeadLetterInputView {
  readonly input?: unknown
  readonly inputTruncated: boolean
  readonly inputNote: string | null
  readonly inputUrl: string
}

const urlOf = (row: DeadLetterRow, backends: Backends): string => {
  const path = `/api/storage/${row.inputPath.split("/").map(encodeURIComponent).join("/")}`
  return row.inputInline !== null || row.storageBackend === backends.default.config.id
    ? path
    : `${path}?backend=${encodeURIComponent(row.storageBackend)}`
}

/** The size in bytes of a dead letter's input, without reading it; `null` when it cannot be found. */
export const inputSizeOf = (row: DeadLetterRow, backends: Backends): Effect.Effect<number | null> =>
  row.inputInline !== null
    ? Effect.succeed(Buffer.byteLength(row.inputInline))
    : Option.match(backends.get(row.storageBackend), {
      onNone: () => Effect.succeed(null),
      onSome: (backend) =>
        backend.head(row.inputPath).pipe(
          Effect.map(Option.match({ onNone: () => null, onSome: (info) => info.size })),
          Effect.orElseSucceed(() => null)
        )
    })

/**
 * A dead letter's input, read only when its size is at most `DlqInputLimitBytes`: a larger one
 * is never loaded, the view says it was left out and where to fetch it whole.
 */
export const inputViewOf = (
  row: DeadLetterRow,
  size: number | null,
  backends: Backends
): Effect.Effect<DeadLetterInputView> => {
  const inputUrl = urlOf(row, backends)
  const leftOut = (inputNote: string): DeadLetterInputView => ({ inputTruncated: true, inputNote, inputUrl })
  if (size === null) return Effect.succeed(leftOut(`the input at ${row.inputPath} can no longer be read`))
  if (size > DlqInputLimitBytes) {
    return Effect.succeed(leftOut(
      `the input is ${size} bytes, more than the ${DlqInputLimitBytes} shown here; fetch it whole with GET ${inputUrl}`
    ))
  }
  const shown = (text: string): DeadLetterInputView => {
    const parsed = Option.liftThrowable(parseInline)(text)
    return Option.isSome(parsed)
      ? { input: parsed.value, inputTruncated: false, inputNote: null, inputUrl }
      : leftOut(`the input at ${row.inputPath} is not JSON; fetch it with GET ${inputUrl}`)
  }
  if (row.inputInline !== null) return Effect.succeed(shown(row.inputInline))
  return Option.match(backends.get(row.storageBackend), {
    onNone: () => Effect.succeed(leftOut(`storage backend '${row.storageBackend}' is no longer configured`)),
    onSome: (backend) =>
      backend.get(row.inputPath).pipe(
        Effect.map((bytes) => shown(Buffer.from(bytes).toString("utf8"))),
        Effect.orElseSucceed(() => leftOut(`the input at ${row.inputPath} can no longer be read`))
      )
  })
}
