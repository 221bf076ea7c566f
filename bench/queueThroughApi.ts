import { post } from "./http.js"
import { peakRssMb, rssMb } from "./procStats.js"
import type { Orchestrator } from "./processes.js"
import { progress } from "./progress.js"

export interface QueuedResult {
  /** Runs already pending before (seeded with SQL). */
  readonly pendingBefore: number
  /** Runs to queue through the API. */
  readonly target: number
  /** How many were queued before the time budget ran out (equal to `target` when it did not). */
  readonly queued: number
  readonly seconds: number
  readonly rssBeforeMb: number
  readonly rssAfterMb: number
  readonly peakRssMb: number
}

const BATCH = 1000

/** Queues up to `target` no-op runs with `POST /api/queue/batch` (1,000 a request) within `budgetSeconds`. */
export const queueThroughApi = async (
  orchestrator: Orchestrator,
  pendingBefore: number,
  target: number,
  budgetSeconds: number
): Promise<QueuedResult> => {
  const pid = orchestrator.child.pid
  const rssBeforeMb = rssMb(pid)
  const started = performance.now()
  let queued = 0
  let reported = 0
  while (queued < target && performance.now() - started < budgetSeconds * 1000) {
    const size = Math.min(BATCH, target - queued)
    await post(`${orchestrator.url}/api/queue/batch`, {
      tasks: Array.from({ length: size }, (_, i) => ({ taskId: "noop", input: { n: queued + i } }))
    })
    queued += size
    if (queued - reported >= 10_000) {
      reported = queued
      progress(`scale: ${queued} of ${target} queued through the API (${(queued / ((performance.now() - started) / 1000)).toFixed(0)}/s)`)
    }
  }
  const seconds = (performance.now() - started) / 1000
  if (queued < target) progress(`scale: time budget reached after ${queued} of ${target} runs queued through the API`)
  return { pendingBefore, target, queued, seconds, rssBeforeMb, rssAfterMb: rssMb(pid), peakRssMb: peakRssMb(pid) }
}
