/**
 * The attempts this worker instance accepted (running or done), each kept until its storage token
 * expires: a dispatch is only valid until then, so a replay of a remembered attempt is refused and
 * a forgotten one would not open. Bounded: when full, expired entries go first, then the oldest.
 */
export interface SeenAttempts {
  /** Records the attempt and answers true, or answers false when it was already recorded. */
  readonly claim: (runId: string, attempt: number, expiresAtMs: number, nowMs: number) => boolean
  readonly size: () => number
}

export const makeSeenAttempts = (capacity = 100_000): SeenAttempts => {
  const seen = new Map<string, number>()
  const prune = (nowMs: number) => {
    for (const [key, expiresAtMs] of seen) if (expiresAtMs <= nowMs) seen.delete(key)
    while (seen.size >= capacity) {
      const oldest = seen.keys().next()
      if (oldest.done === true) break
      seen.delete(oldest.value)
    }
  }
  return {
    claim: (runId, attempt, expiresAtMs, nowMs) => {
      const key = `${runId}#${attempt}`
      const known = seen.get(key)
      if (known !== undefined && known > nowMs) return false
      if (seen.size >= capacity) prune(nowMs)
      seen.delete(key)
      seen.set(key, expiresAtMs)
      return true
    },
    size: () => seen.size
  }
}
