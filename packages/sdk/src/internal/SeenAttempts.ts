/**
 * The attempts this worker instance accepted (running or done), each kept until its storage token
 * expires: a dispatch is only valid until then, so a replay of a remembered attempt is refused and
 * a forgotten one would not open. Bounded: when full, expired entries go first, then the oldest,
 * down to `PRUNED_FILL` of the capacity, so that a full worker scans its entries once per tenth
 * of its capacity in new attempts rather than on every dispatch.
 */
export interface SeenAttempts {
  /** Records the attempt and answers true, or answers false when it was already recorded. */
  readonly claim: (runId: string, attempt: number, expiresAtMs: number, nowMs: number) => boolean
  readonly size: () => number
}

/** The share of the capacity a full set is pruned down to. */
export const PRUNED_FILL = 0.9

export const makeSeenAttempts = (capacity = 100_000): SeenAttempts => {
  const seen = new Map<string, number>()
  const keep = Math.max(0, Math.min(capacity - 1, Math.floor(capacity * PRUNED_FILL)))
  const prune = (nowMs: number) => {
    for (const [key, expiresAtMs] of seen) if (expiresAtMs <= nowMs) seen.delete(key)
    for (const key of seen.keys()) {
      if (seen.size <= keep) break
      seen.delete(key)
    }
  }
  return {
    claim: (runId, attempt, expiresAtMs, nowMs) => {
      const key = `${runId}#${attempt}`
      const known = seen.get(key)
      if (known !== undefined && known > nowMs) return false
      seen.delete(key)
      if (seen.size >= capacity) prune(nowMs)
      seen.set(key, expiresAtMs)
      return true
    },
    size: () => seen.size
  }
}
