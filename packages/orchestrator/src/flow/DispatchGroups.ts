import type { ClaimedRun } from "../store/ClaimedRun.js"

/** Runs of one pass bound for the same worker instance, to send in one grouped dispatch. */
export interface DispatchGroup {
  readonly workerUrl: string
  readonly runs: ReadonlyArray<ClaimedRun>
}

/**
 * Splits the runs of a pass: those whose instance takes grouped dispatches go in groups per
 * instance, at most its `dispatchGroupMax` runs each; a run alone for its instance (or whose
 * instance takes single dispatches only) is dispatched on its own.
 */
export const groupByInstance = (
  runs: ReadonlyArray<ClaimedRun>
): { readonly groups: ReadonlyArray<DispatchGroup>; readonly singles: ReadonlyArray<ClaimedRun> } => {
  const byUrl = new Map<string, Array<ClaimedRun>>()
  const singles: Array<ClaimedRun> = []
  for (const run of runs) {
    if (run.workerUrl === null || run.dispatchGroupMax === null || run.dispatchGroupMax < 2) {
      singles.push(run)
      continue
    }
    const list = byUrl.get(run.workerUrl)
    if (list === undefined) byUrl.set(run.workerUrl, [run])
    else list.push(run)
  }
  const groups: Array<DispatchGroup> = []
  for (const [workerUrl, list] of byUrl) {
    const max = Math.min(...list.map((run) => run.dispatchGroupMax ?? 1))
    for (let i = 0; i < list.length; i += max) {
      const chunk = list.slice(i, i + max)
      if (chunk.length === 1) singles.push(chunk[0]!)
      else groups.push({ workerUrl, runs: chunk })
    }
  }
  return { groups, singles }
}
