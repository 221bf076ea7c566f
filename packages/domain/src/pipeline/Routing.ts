import { Schema } from "effect"
import { type PipelineStructure, predecessorsOf } from "./PipelineStructure.js"

/** What a pipeline does when one of its tasks fails for good (spec "Partial Pipeline Failures"). */
export const FailureMode = Schema.Literal("fail-fast", "continue", "partial-merge")
export type FailureMode = typeof FailureMode.Type

/** An edge is undecided until its source ends: live (selected), dead (not selected or skipped) or failed. */
export const EdgeState = Schema.Literal("undecided", "live", "dead", "failed")
export type EdgeState = typeof EdgeState.Type

/** Where a task of a pipeline run is. `started` covers queued, dispatched and running. */
export const RoutedTaskState = Schema.Literal("waiting", "started", "completed", "failed", "skipped", "cancelled")
export type RoutedTaskState = typeof RoutedTaskState.Type

/** The routing state of one pipeline run, stored with it. */
export const RoutingState = Schema.Struct({
  tasks: Schema.Record({ key: Schema.String, value: RoutedTaskState }),
  edges: Schema.Record({ key: Schema.String, value: EdgeState })
})
export type RoutingState = typeof RoutingState.Type

/** How a pipeline run ended. */
export type RunOutcome = "completed" | "failed" | "partial"

/** The effect of one event on a run: tasks to start, skip and cancel, and the outcome once it ended. */
export interface Transition {
  readonly state: RoutingState
  readonly start: ReadonlyArray<string>
  readonly skip: ReadonlyArray<string>
  readonly cancel: ReadonlyArray<string>
  readonly outcome: RunOutcome | null
}

export const edgeKey = (from: string, to: string): string => `${from}->${to}`

const TERMINAL: ReadonlySet<RoutedTaskState> = new Set(["completed", "failed", "skipped", "cancelled"])

/** Entry tasks start, every other task waits, every edge is undecided. */
export const initialState = (structure: PipelineStructure): RoutingState => {
  const entry = new Set(structure.entry)
  const tasks: Record<string, RoutedTaskState> = {}
  const edges: Record<string, EdgeState> = {}
  for (const [id, task] of Object.entries(structure.tasks)) {
    tasks[id] = entry.has(id) ? "started" : "waiting"
    for (const next of task.allowedNext) edges[edgeKey(id, next)] = "undecided"
  }
  return { tasks, edges }
}

/** `runNext` names outside `allowedNext`, if any (an empty list means the selection is valid). */
export const invalidSelection = (
  structure: PipelineStructure,
  taskId: string,
  selected: ReadonlyArray<string>
): ReadonlyArray<string> => {
  const allowed = new Set(structure.tasks[taskId]?.allowedNext ?? [])
  return selected.filter((id) => !allowed.has(id))
}

/**
 * Decides every waiting task whose incoming edges are all decided: it starts when one is live
 * (under `continue`, a failed incoming edge skips it instead), and is skipped otherwise, which
 * kills its own out-edges in turn. Then reports the outcome once nothing waits or runs.
 */
const settle = (
  structure: PipelineStructure,
  tasks: Record<string, RoutedTaskState>,
  edges: Record<string, EdgeState>,
  mode: FailureMode
): Transition => {
  const predecessors = predecessorsOf(structure)
  const start: Array<string> = []
  const skip: Array<string> = []
  let changed = true
  while (changed) {
    changed = false
    for (const id of Object.keys(structure.tasks).sort()) {
      if (tasks[id] !== "waiting") continue
      const incoming = (predecessors.get(id) ?? []).map((from) => edges[edgeKey(from, id)]!)
      if (incoming.some((e) => e === "undecided")) continue
      const live = incoming.some((e) => e === "live")
      const failed = incoming.some((e) => e === "failed")
      changed = true
      if (live && !(failed && mode === "continue")) {
        tasks[id] = "started"
        start.push(id)
      } else {
        tasks[id] = "skipped"
        skip.push(id)
        for (const next of structure.tasks[id]!.allowedNext) edges[edgeKey(id, next)] = "dead"
      }
    }
  }
  const states = Object.values(tasks)
  const done = states.every((s) => TERMINAL.has(s))
  const anyFailed = states.some((s) => s === "failed")
  const outcome: RunOutcome | null = !done
    ? null
    : !anyFailed
    ? "completed"
    : mode === "partial-merge"
    ? "partial"
    : "failed"
  return { state: { tasks, edges }, start, skip, cancel: [], outcome }
}

/** A started task completed and selected `selected` (default: all of its `allowedNext`). */
export const completeTask = (
  structure: PipelineStructure,
  state: RoutingState,
  taskId: string,
  selected: ReadonlyArray<string> | null,
  mode: FailureMode
): Transition => {
  const tasks: Record<string, RoutedTaskState> = { ...state.tasks }
  tasks[taskId] = "completed"
  const edges = { ...state.edges }
  const chosen = new Set(selected ?? structure.tasks[taskId]?.allowedNext ?? [])
  for (const next of structure.tasks[taskId]?.allowedNext ?? []) {
    edges[edgeKey(taskId, next)] = chosen.has(next) ? "live" : "dead"
  }
  return settle(structure, tasks, edges, mode)
}

/** A started task failed for good (retries exhausted or not retryable). */
export const failTask = (
  structure: PipelineStructure,
  state: RoutingState,
  taskId: string,
  mode: FailureMode
): Transition => {
  const tasks: Record<string, RoutedTaskState> = { ...state.tasks }
  tasks[taskId] = "failed"
  const edges = { ...state.edges }
  for (const next of structure.tasks[taskId]?.allowedNext ?? []) edges[edgeKey(taskId, next)] = "failed"
  if (mode !== "fail-fast") return settle(structure, tasks, edges, mode)
  const cancel = Object.keys(tasks).filter((id) => tasks[id] === "started" || tasks[id] === "waiting").sort()
  for (const id of cancel) tasks[id] = "cancelled"
  return { state: { tasks, edges }, start: [], skip: [], cancel, outcome: "failed" }
}

/**
 * An operator cancelled one task of the run: it counts as a failure for routing (the failure mode
 * decides the rest), and the task is recorded `cancelled`.
 */
export const cancelTask = (
  structure: PipelineStructure,
  state: RoutingState,
  taskId: string,
  mode: FailureMode
): Transition => {
  const failed = failTask(structure, state, taskId, mode)
  const tasks: Record<string, RoutedTaskState> = { ...failed.state.tasks }
  tasks[taskId] = "cancelled"
  return { state: { tasks, edges: failed.state.edges }, start: failed.start, skip: failed.skip, cancel: failed.cancel, outcome: failed.outcome }
}

/** An operator cancelled the whole run: every task not yet ended is cancelled (`cancel` lists them). */
export const cancelRun = (state: RoutingState): { readonly state: RoutingState; readonly cancel: ReadonlyArray<string> } => {
  const tasks = { ...state.tasks }
  const cancel = Object.keys(tasks).filter((id) => !TERMINAL.has(tasks[id]!)).sort()
  for (const id of cancel) tasks[id] = "cancelled"
  return { state: { tasks, edges: { ...state.edges } }, cancel }
}

/** A failed task retried from the dead letter queue: the state, and the tasks to start anew. */
export interface Resumption {
  readonly state: RoutingState
  readonly start: ReadonlyArray<string>
  readonly reopen: ReadonlyArray<string>
}

/**
 * A failed task is retried (from the dead letter queue): it starts again, its failed edges are
 * undecided again, the tasks skipped because of them wait again, and the tasks a fail-fast
 * cancelled resume: those that had started start anew, the others wait. `start` lists the
 * tasks to run now (the retried one first), `reopen` the tasks waiting again.
 */
export const retryTask = (structure: PipelineStructure, state: RoutingState, taskId: string): Resumption => {
  const predecessors = predecessorsOf(structure)
  const tasks: Record<string, RoutedTaskState> = { ...state.tasks }
  tasks[taskId] = "started"
  const edges = { ...state.edges }
  const start = [taskId]
  const reopen: Array<string> = []
  const reopenFrom = (from: string) => {
    for (const next of structure.tasks[from]?.allowedNext ?? []) {
      const key = edgeKey(from, next)
      if (edges[key] === "undecided") continue
      edges[key] = "undecided"
      if (tasks[next] === "skipped") {
        tasks[next] = "waiting"
        reopen.push(next)
        reopenFrom(next)
      }
    }
  }
  reopenFrom(taskId)
  const entry = new Set(structure.entry)
  for (const id of Object.keys(structure.tasks)) {
    if (tasks[id] !== "cancelled") continue
    const incoming = (predecessors.get(id) ?? []).map((from) => edges[edgeKey(from, id)])
    const ready = entry.has(id) || (incoming.every((e) => e !== "undecided") && incoming.some((e) => e === "live"))
    tasks[id] = ready ? "started" : "waiting"
    ;(ready ? start : reopen).push(id)
  }
  return { state: { tasks, edges }, start, reopen }
}
