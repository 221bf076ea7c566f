/** A duration in ms as "850 ms", "12.3 s", "4 min 05 s". */
export const durationText = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return "—"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")} s`
}

/** A date in the reader's locale, "—" for none. */
export const timeText = (date: Date | null | undefined): string => (date ? date.toLocaleString() : "—")

/** A size in bytes as "512 B", "12.0 KB", "3.4 MB". */
export const sizeText = (bytes: number | null | undefined): string => {
  if (bytes === null || bytes === undefined) return "—"
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}
