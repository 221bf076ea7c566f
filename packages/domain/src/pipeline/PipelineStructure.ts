import { Either, Schema } from "effect"
import { TaskId } from "../Ids.js"
import { sha256Hex } from "../Sha256.js"

/** One task of a pipeline snapshot: where it may route next. */
export const StructureTask = Schema.Struct({ allowedNext: Schema.Array(TaskId) })

/**
 * A pipeline's graph as a run sees it: entry tasks and every task reachable from them with its
 * `allowedNext` (the spec's `structureSnapshot`). Stored with each run, so later deployments
 * never change a run in flight.
 */
export const PipelineStructure = Schema.Struct({
  entry: Schema.Array(TaskId),
  tasks: Schema.Record({ key: TaskId, value: StructureTask })
})
export type PipelineStructure = typeof PipelineStructure.Type

/** Why a pipeline's graph cannot run. */
export type StructureProblem =
  | { readonly _tag: "UnknownTask"; readonly taskId: string; readonly referencedBy: string | null }
  | { readonly _tag: "Cycle"; readonly path: ReadonlyArray<string> }
  | { readonly _tag: "EntryHasPredecessor"; readonly taskId: string; readonly predecessors: ReadonlyArray<string> }
  | { readonly _tag: "NoEntry" }

/** A one-line description of a problem, naming the tasks involved. */
export const describeProblem = (problem: StructureProblem): string => {
  switch (problem._tag) {
    case "UnknownTask":
      return problem.referencedBy === null
        ? `entry task '${problem.taskId}' is not registered`
        : `task '${problem.referencedBy}' lists '${problem.taskId}' in allowedNext, but no service registers it`
    case "Cycle":
      return `cycle: ${problem.path.join(" → ")}`
    case "EntryHasPredecessor":
      return `entry task '${problem.taskId}' is also reached from ${problem.predecessors.map((p) => `'${p}'`).join(", ")}`
    case "NoEntry":
      return "the pipeline has no entry task"
  }
}

/** Predecessors of every task, in the structure's order (breadth first from the entry tasks). */
export const predecessorsOf = (structure: PipelineStructure): ReadonlyMap<string, ReadonlyArray<string>> => {
  const result = new Map<string, Array<string>>(Object.keys(structure.tasks).map((id) => [id, []]))
  for (const [from, task] of Object.entries(structure.tasks)) {
    for (const to of task.allowedNext) result.get(to)?.push(from)
  }
  return result
}

const findCycle = (tasks: PipelineStructure["tasks"]): ReadonlyArray<string> | undefined => {
  const state = new Map<string, "visiting" | "done">()
  const stack: Array<string> = []
  const visit = (id: string): ReadonlyArray<string> | undefined => {
    if (state.get(id) === "done") return undefined
    if (state.get(id) === "visiting") return [...stack.slice(stack.indexOf(id)), id]
    state.set(id, "visiting")
    stack.push(id)
    for (const next of tasks[id]?.allowedNext ?? []) {
      const cycle = visit(next)
      if (cycle) return cycle
    }
    stack.pop()
    state.set(id, "done")
    return undefined
  }
  for (const id of Object.keys(tasks).sort()) {
    const cycle = visit(id)
    if (cycle) return cycle
  }
  return undefined
}

/**
 * The sub-graph reachable from `entry`, from the registered tasks' `allowedNext`, validated:
 * every referenced task exists, there is no cycle, no entry task is reached from another task.
 */
export const resolveStructure = (
  entry: ReadonlyArray<string>,
  allowedNextOf: (taskId: string) => ReadonlyArray<string> | undefined
): Either.Either<PipelineStructure, ReadonlyArray<StructureProblem>> => {
  if (entry.length === 0) return Either.left([{ _tag: "NoEntry" }])
  const problems: Array<StructureProblem> = []
  const tasks: Record<string, { allowedNext: ReadonlyArray<string> }> = {}
  const queue: Array<[string, string | null]> = entry.map((id) => [id, null])
  const seen = new Set<string>()
  while (queue.length > 0) {
    const [id, from] = queue.shift()!
    if (seen.has(id)) continue
    seen.add(id)
    const allowedNext = allowedNextOf(id)
    if (allowedNext === undefined) {
      problems.push({ _tag: "UnknownTask", taskId: id, referencedBy: from })
      continue
    }
    tasks[id] = { allowedNext: [...allowedNext] }
    for (const next of allowedNext) queue.push([next, id])
  }
  if (problems.length > 0) return Either.left(problems)
  const structure: PipelineStructure = { entry: [...entry], tasks }
  const cycle = findCycle(tasks)
  if (cycle) return Either.left([{ _tag: "Cycle", path: cycle }])
  const predecessors = predecessorsOf(structure)
  for (const id of new Set(entry)) {
    const from = predecessors.get(id) ?? []
    if (from.length > 0) problems.push({ _tag: "EntryHasPredecessor", taskId: id, predecessors: from })
  }
  return problems.length > 0 ? Either.left(problems) : Either.right(structure)
}

/** A short hash of the structure's canonical form: equal graphs get equal versions. */
export const structureVersion = (structure: PipelineStructure): string => {
  const canonical = {
    entry: [...new Set(structure.entry)].sort(),
    tasks: Object.keys(structure.tasks).sort().map((id) => [id, [...structure.tasks[id]!.allowedNext].sort()])
  }
  return sha256Hex(JSON.stringify(canonical)).slice(0, 12)
}
