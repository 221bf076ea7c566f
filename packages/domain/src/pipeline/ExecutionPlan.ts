import { Schema } from "effect"
import { type PipelineStructure, predecessorsOf } from "./PipelineStructure.js"

/** One task of a plan level. */
export const PlannedTask = Schema.Struct({
  taskId: Schema.String,
  entry: Schema.Boolean,
  end: Schema.Boolean,
  waitsFor: Schema.Array(Schema.String)
})

/** Tasks that can run at the same depth: entry tasks first, each task one level after its last predecessor. */
export const PlanLevel = Schema.Struct({
  level: Schema.Int,
  tasks: Schema.Array(PlannedTask),
  parallel: Schema.Boolean
})
export type PlanLevel = typeof PlanLevel.Type

/** Orders the structure's tasks into levels (longest path from the entry tasks), in the structure's order. */
export const executionPlan = (structure: PipelineStructure): ReadonlyArray<PlanLevel> => {
  const predecessors = predecessorsOf(structure)
  const depth = new Map<string, number>()
  const depthOf = (id: string): number => {
    const known = depth.get(id)
    if (known !== undefined) return known
    const from = predecessors.get(id) ?? []
    const value = from.length === 0 ? 0 : Math.max(...from.map(depthOf)) + 1
    depth.set(id, value)
    return value
  }
  const ids = Object.keys(structure.tasks)
  const entry = new Set(structure.entry)
  const levels: Array<PlanLevel> = []
  for (const id of ids) {
    const level = depthOf(id)
    const tasks = (levels[level]?.tasks ?? []) as Array<typeof PlannedTask.Type>
    tasks.push({
      taskId: id,
      entry: entry.has(id),
      end: structure.tasks[id]!.allowedNext.length === 0,
      waitsFor: (predecessors.get(id) ?? []).length > 1 ? predecessors.get(id)! : []
    })
    levels[level] = { level: level + 1, tasks, parallel: tasks.length > 1 }
  }
  return levels.filter((l) => l !== undefined)
}

/** The plan as the spec's dry-run prints it (`2. extract-text, extract-tables (parallel)`). */
export const formatPlan = (plan: ReadonlyArray<PlanLevel>): ReadonlyArray<string> =>
  plan.map((level) => {
    const notes: Array<string> = []
    if (level.tasks.some((t) => t.entry)) notes.push("entry")
    if (level.parallel) notes.push("parallel")
    if (level.tasks.every((t) => t.end)) notes.push("end")
    for (const task of level.tasks) {
      if (task.waitsFor.length > 0) {
        notes.push(
          level.tasks.length > 1
            ? `${task.taskId} joins, waits for: ${task.waitsFor.join(", ")}`
            : `join, waits for: ${task.waitsFor.join(", ")}`
        )
      }
    }
    return `${level.level}. ${level.tasks.map((t) => t.taskId).join(", ")}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`
  })
