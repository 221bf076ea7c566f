import type { PipelineRunDetail } from "@pipeweave/domain/Pipeline"
import type { AttemptFailureSummary, TaskProgress, TaskRun, TaskRunStatus } from "@pipeweave/domain/TaskRun"
import { formatElapsed } from "./DurationText.js"
import { table } from "./Output.js"

/** One task of a followed run, as the live view shows it. */
export interface LiveTask {
  readonly taskId: string
  readonly taskRunId: string | null
  readonly status: TaskRunStatus
  /** The current (or last) attempt; 0 before the first dispatch. */
  readonly attempt: number
  readonly maxAttempts: number
  readonly progress: TaskProgress | null
  readonly lastFailure: AttemptFailureSummary | null
  readonly startedAt: Date | null
  readonly completedAt: Date | null
}

/** A followed run (a pipeline run, or a standalone task run as a run of one task). */
export interface LiveRun {
  readonly id: string
  /** What runs: `pipeline pdf-processing`, `task crunch`. */
  readonly subject: string
  readonly status: string
  readonly createdAt: Date
  readonly completedAt: Date | null
  readonly tasks: ReadonlyArray<LiveTask>
}

/** A pipeline run as the live view follows it. */
export const liveRunOfPipelineRun = (run: PipelineRunDetail): LiveRun => ({
  id: run.runId,
  subject: `pipeline ${run.pipelineId}`,
  status: run.status,
  createdAt: run.createdAt,
  completedAt: run.completedAt,
  tasks: run.tasks.map((task) => ({
    taskId: task.taskId,
    taskRunId: task.taskRunId,
    status: task.status,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    progress: task.progress,
    lastFailure: task.lastFailure,
    startedAt: task.startedAt,
    completedAt: task.completedAt
  }))
})

/** A standalone task run as the live view follows it. */
export const liveRunOfTaskRun = (run: TaskRun): LiveRun => {
  const failed = run.attempts.filter((a) => a.error !== null).at(-1)
  return {
    id: run.runId,
    subject: `task ${run.taskId}`,
    status: run.status,
    createdAt: run.createdAt,
    completedAt: run.completedAt,
    tasks: [{
      taskId: run.taskId,
      taskRunId: run.runId,
      status: run.status,
      attempt: run.attempt,
      maxAttempts: run.maxAttempts,
      progress: run.progress,
      lastFailure: failed === undefined ? null : { attempt: failed.attempt, error: failed.error!, errorCode: failed.errorCode },
      startedAt: run.startedAt,
      completedAt: run.completedAt
    }]
  }
}

const attemptText = (task: LiveTask): string => (task.attempt === 0 ? "-" : `${task.attempt}/${task.maxAttempts}`)

/** The progress of the attempt in flight: what an attempt reported is stale once it ended. */
const progressText = (task: LiveTask): string =>
  task.progress === null || (task.status !== "running" && task.status !== "dispatching")
    ? ""
    : `${Math.round(task.progress.percent)}%${task.progress.message ? ` ${task.progress.message}` : ""}`

const failureText = (failure: AttemptFailureSummary | null): string =>
  failure === null ? "" : `#${failure.attempt} ${failure.errorCode === null ? "" : `[${failure.errorCode}] `}${failure.error}`

const since = (from: Date | null, to: Date | null, now: Date): string =>
  from === null ? "" : formatElapsed((to ?? now).getTime() - from.getTime())

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ")

const fitTo = (width: number | undefined) => (line: string): string =>
  width === undefined || width <= 0 || line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`

/**
 * The whole view at `now`, one string per terminal line: a header (id, subject, status, elapsed)
 * and a table of the tasks; lines are cut to `width` columns so a redraw knows its height.
 */
export const frameLines = (run: LiveRun, now: Date, width?: number): ReadonlyArray<string> => {
  const header = `${run.id}  ${run.subject}  ${run.status}  ${since(run.createdAt, run.completedAt, now)}`
  const rows = run.tasks.map((task) => [
    task.taskId,
    task.status,
    attemptText(task),
    oneLine(progressText(task)),
    since(task.startedAt, task.completedAt, now),
    oneLine(failureText(task.lastFailure))
  ])
  const tasks = run.tasks.length === 0
    ? ["  (no task has started yet)"]
    : table(["TASK", "STATUS", "ATTEMPT", "PROGRESS", "ELAPSED", "LAST FAILURE"], rows).split("\n").map((line) => `  ${line}`)
  return [header, ...tasks].map(fitTo(width))
}

/** What makes a task's line worth printing again (its elapsed time does not). */
const taskState = (task: LiveTask): string =>
  JSON.stringify([task.status, task.attempt, task.maxAttempts, progressText(task), task.lastFailure])

/** One task's state as a line of its own: `prun_x: crunch running, attempt 2/3, 40% page 4, last failure #1 [CODE] why, 3.2s`. */
const taskLine = (run: LiveRun, task: LiveTask, now: Date): string => {
  const parts = [
    `${task.taskId} ${task.status}`,
    task.attempt === 0 ? "" : `attempt ${attemptText(task)}`,
    progressText(task),
    task.lastFailure === null ? "" : `last failure ${failureText(task.lastFailure)}`,
    since(task.startedAt, task.completedAt, now)
  ]
  return oneLine(`${run.id}: ${parts.filter((part) => part !== "").join(", ")}`)
}

/**
 * The lines that tell what changed from `previous` to `current` (everything, for the first
 * poll): one per task whose status, attempt, progress or last failure changed, and one when the
 * run itself ends. Used when the view cannot be redrawn in place.
 */
export const changeLines = (previous: LiveRun | undefined, current: LiveRun, now: Date): ReadonlyArray<string> => {
  const before = new Map((previous?.tasks ?? []).map((task) => [task.taskId, taskState(task)]))
  const lines = current.tasks
    .filter((task) => before.get(task.taskId) !== taskState(task))
    .map((task) => taskLine(current, task, now))
  if (previous !== undefined && previous.status !== current.status) {
    lines.push(`${current.id}: ${current.status} after ${since(current.createdAt, current.completedAt, now)}`)
  }
  return lines
}
