/** A task as the timeline needs it (a `RunTask` of `GET /api/runs/:id`). */
export interface TimedTask {
  readonly taskId: string
  readonly status: string
  readonly startedAt: Date | null
  readonly completedAt: Date | null
  readonly codeVersion: number | null
}

export interface TimelineRow {
  readonly taskId: string
  readonly status: string
  readonly codeVersion: number | null
  /** Milliseconds from the run's start; `null` for a task that has not started. */
  readonly startMs: number | null
  readonly endMs: number | null
  /** Whether the task is still going (its bar ends at `now`). */
  readonly open: boolean
  /** The bar's position in percent of the span. */
  readonly left: number
  readonly width: number
}

export interface Timeline {
  readonly spanMs: number
  readonly rows: ReadonlyArray<TimelineRow>
}

const MIN_WIDTH_PERCENT = 0.5

/**
 * Where each task ran within the run, as `npm start` prints it: from the run's creation to its end
 * (or to `now` while it runs). A task still running gets a bar up to `now`.
 */
export const timelineOf = (
  run: { readonly createdAt: Date; readonly completedAt: Date | null; readonly tasks: ReadonlyArray<TimedTask> },
  now: number
): Timeline => {
  const start = run.createdAt.getTime()
  const lastEnd = Math.max(
    run.completedAt?.getTime() ?? now,
    ...run.tasks.map((task) => task.completedAt?.getTime() ?? (task.startedAt ? now : start))
  )
  const spanMs = Math.max(1, lastEnd - start)
  const rows = run.tasks.map((task): TimelineRow => {
    const base = { taskId: task.taskId, status: task.status, codeVersion: task.codeVersion }
    if (!task.startedAt) return { ...base, startMs: null, endMs: null, open: false, left: 0, width: 0 }
    const startMs = Math.max(0, task.startedAt.getTime() - start)
    const open = task.completedAt === null
    const endMs = Math.max(startMs, (task.completedAt?.getTime() ?? now) - start)
    const left = (startMs / spanMs) * 100
    return { ...base, startMs, endMs, open, left, width: Math.max(MIN_WIDTH_PERCENT, Math.min(100 - left, ((endMs - startMs) / spanMs) * 100)) }
  })
  return { spanMs, rows }
}
