/** "just now", "42 s ago", "5 min ago", "3 h ago", or the date for anything older than a day. */
export const ago = (date: Date | null | undefined, now: number = Date.now()): string => {
  if (!date) return "—"
  const seconds = Math.round((now - date.getTime()) / 1000)
  if (seconds < 5) return "just now"
  if (seconds < 60) return `${seconds} s ago`
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`
  return date.toLocaleString()
}

/** A duration in ms as "850 ms", "12.3 s", "4 min 05 s". */
export const duration = (ms: number | null | undefined): string => {
  if (ms === null || ms === undefined) return "—"
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")} s`
}
