import { describe, expect, it } from "vitest"
import fc from "fast-check"
import type { PipelineStructure } from "../src/pipeline/PipelineStructure.js"
import { predecessorsOf } from "../src/pipeline/PipelineStructure.js"
import {
  completeTask,
  edgeKey,
  failTask,
  type FailureMode,
  retryTask,
  initialState,
  type RoutedTaskState,
  type RoutingState
} from "../src/pipeline/Routing.js"

/** A random DAG: edges only go from lower to higher index; tasks without predecessors are the entry. */
const dag = fc.integer({ min: 1, max: 9 }).chain((n) =>
  fc.array(fc.boolean(), { minLength: (n * (n - 1)) / 2, maxLength: (n * (n - 1)) / 2 }).map((bits) => {
    const tasks: Record<string, { allowedNext: Array<string> }> = {}
    for (let i = 0; i < n; i++) tasks[`t${i}`] = { allowedNext: [] }
    let k = 0
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) if (bits[k++]) tasks[`t${i}`]!.allowedNext.push(`t${j}`)
    }
    const structure: PipelineStructure = { entry: [], tasks }
    const predecessors = predecessorsOf(structure)
    return { ...structure, entry: Object.keys(tasks).filter((id) => predecessors.get(id)!.length === 0) }
  })
)

const TERMINAL = new Set<RoutedTaskState>(["completed", "failed", "skipped", "cancelled"])

interface Choice {
  readonly pick: number
  readonly fail: boolean
  readonly mask: number
  readonly defaultSelection: boolean
}

const choice = fc.record({
  pick: fc.nat(),
  fail: fc.boolean(),
  mask: fc.nat(),
  defaultSelection: fc.boolean()
})

const simulate = (structure: PipelineStructure, mode: FailureMode, choices: ReadonlyArray<Choice>, failures: boolean) => {
  const predecessors = predecessorsOf(structure)
  const ended = new Map<string, number>()
  const started = new Map<string, number>()
  const selectedBy = new Map<string, Set<string>>()
  const upstreamAtStart = new Map<string, ReadonlyArray<string>>()
  const end = (id: string) => ended.set(id, (ended.get(id) ?? 0) + 1)
  const onStart = (state: RoutingState, id: string) => {
    started.set(id, (started.get(id) ?? 0) + 1)
    for (const from of predecessors.get(id)!) {
      expect(TERMINAL.has(state.tasks[from]!), `${id} started before ${from} ended`).toBe(true)
    }
    upstreamAtStart.set(id, predecessors.get(id)!.filter((from) => state.edges[edgeKey(from, id)] === "live"))
  }
  let state = initialState(structure)
  for (const id of structure.entry) onStart(state, id)
  let outcome = null as null | string
  for (let step = 0; outcome === null; step++) {
    const running = Object.keys(state.tasks).filter((id) => state.tasks[id] === "started").sort()
    expect(running.length, "a run with nothing running must have ended").toBeGreaterThan(0)
    expect(step).toBeLessThanOrEqual(Object.keys(structure.tasks).length)
    const c = choices[step % Math.max(choices.length, 1)] ?? { pick: 0, fail: false, mask: 0, defaultSelection: true }
    const id = running[c.pick % running.length]!
    const next = structure.tasks[id]!.allowedNext
    const transition = failures && c.fail
      ? failTask(structure, state, id, mode)
      : (() => {
        const selected = c.defaultSelection ? null : next.filter((_, i) => (c.mask >> i) & 1)
        selectedBy.set(id, new Set(selected ?? next))
        return completeTask(structure, state, id, selected, mode)
      })()
    end(id)
    for (const skipped of transition.skip) end(skipped)
    for (const cancelled of transition.cancel) end(cancelled)
    state = transition.state
    for (const s of transition.start) onStart(state, s)
    outcome = transition.outcome
  }
  return { state, ended, started, selectedBy, upstreamAtStart, outcome: outcome!, predecessors }
}

describe("routing over random DAGs and random runNext choices", () => {
  it("without failures: terminates, every task ends exactly once as completed or skipped, joins wait", () => {
    fc.assert(
      fc.property(dag, fc.array(choice, { minLength: 1, maxLength: 20 }), fc.constantFrom<FailureMode>("fail-fast", "continue", "partial-merge"), (structure, choices, mode) => {
        const run = simulate(structure, mode, choices, false)
        expect(run.outcome).toBe("completed")
        for (const id of Object.keys(structure.tasks)) {
          expect(run.ended.get(id), `${id} ended ${run.ended.get(id)} times`).toBe(1)
          expect(["completed", "skipped"]).toContain(run.state.tasks[id])
          expect(run.started.get(id) ?? 0).toBe(run.state.tasks[id] === "completed" ? 1 : 0)
        }
        for (const [id, upstream] of run.upstreamAtStart) {
          const expected = run.predecessors.get(id)!.filter((from) =>
            run.state.tasks[from] === "completed" && run.selectedBy.get(from)!.has(id))
          expect([...upstream].sort()).toEqual(expected.sort())
        }
      }),
      { numRuns: 2000 }
    )
  })

  it("with failures: terminates, every task ends exactly once, the outcome follows the failure mode", () => {
    fc.assert(
      fc.property(dag, fc.array(choice, { minLength: 1, maxLength: 20 }), fc.constantFrom<FailureMode>("fail-fast", "continue", "partial-merge"), (structure, choices, mode) => {
        const run = simulate(structure, mode, choices, true)
        for (const id of Object.keys(structure.tasks)) {
          expect(run.ended.get(id), `${id} ended ${run.ended.get(id)} times`).toBe(1)
          expect(TERMINAL.has(run.state.tasks[id]!)).toBe(true)
          expect(run.started.get(id) ?? 0).toBeLessThanOrEqual(1)
        }
        const failed = Object.values(run.state.tasks).some((s) => s === "failed")
        const expected = !failed ? "completed" : mode === "partial-merge" ? "partial" : "failed"
        expect(run.outcome).toBe(expected)
        if (mode === "fail-fast" && failed) {
          expect(Object.values(run.state.tasks).filter((s) => s === "failed").length).toBe(1)
        }
        if (mode === "continue") {
          for (const [id, from] of run.predecessors) {
            if (from.some((p) => run.state.tasks[p] === "failed")) expect(run.state.tasks[id]).not.toBe("completed")
          }
        }
      }),
      { numRuns: 2000 }
    )
  })
})

describe("retrying dead-lettered tasks", () => {
  it("resumes the run: retried and resumed tasks complete, and the run completes", () => {
    fc.assert(
      fc.property(dag, fc.array(choice, { minLength: 1, maxLength: 20 }), fc.constantFrom<FailureMode>("fail-fast", "continue", "partial-merge"), (structure, choices, mode) => {
        const first = simulate(structure, mode, choices, true)
        let state = first.state
        let outcome: string | null = first.outcome
        for (const failed of Object.keys(state.tasks).filter((id) => state.tasks[id] === "failed")) {
          const resumed = retryTask(structure, state, failed)
          state = resumed.state
          outcome = null
          for (const id of resumed.start) expect(state.tasks[id]).toBe("started")
        }
        for (let step = 0; outcome === null; step++) {
          expect(step).toBeLessThanOrEqual(Object.keys(structure.tasks).length * 2)
          const running = Object.keys(state.tasks).filter((id) => state.tasks[id] === "started").sort()
          expect(running.length, "a resumed run with nothing running must have ended").toBeGreaterThan(0)
          const t = completeTask(structure, state, running[0]!, null, mode)
          state = t.state
          outcome = t.outcome
        }
        expect(outcome).toBe("completed")
        for (const id of Object.keys(structure.tasks)) expect(["completed", "skipped"]).toContain(state.tasks[id])
      }),
      { numRuns: 2000 }
    )
  })
})
