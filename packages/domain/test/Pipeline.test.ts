import { Either } from "effect"
import { describe, expect, it } from "vitest"
import { executionPlan, formatPlan } from "../src/pipeline/ExecutionPlan.js"
import { describeProblem, type PipelineStructure, resolveStructure, structureVersion } from "../src/pipeline/PipelineStructure.js"
import { cancelRun, cancelTask, completeTask, failTask, initialState, retryTask } from "../src/pipeline/Routing.js"

const registry: Record<string, ReadonlyArray<string>> = {
  download: ["extract-text", "extract-tables"],
  "extract-text": ["summarize"],
  "extract-tables": ["summarize"],
  summarize: ["notify", "archive"],
  notify: [],
  archive: []
}
const lookup = (table: Record<string, ReadonlyArray<string>>) => (id: string) => table[id]
const complex = Either.getOrThrow(resolveStructure(["download"], lookup(registry)))

describe("resolveStructure", () => {
  it("keeps the reachable sub-graph", () => {
    const partial = Either.getOrThrow(resolveStructure(["summarize"], lookup(registry)))
    expect(Object.keys(partial.tasks).sort()).toEqual(["archive", "notify", "summarize"])
  })

  it("names unknown tasks, cycles and entry tasks that have predecessors", () => {
    const unknown = resolveStructure(["a"], lookup({ a: ["b"] }))
    expect(Either.getLeft(unknown).pipe((p) => p._tag === "Some" && p.value.map(describeProblem))).toEqual([
      "task 'a' lists 'b' in allowedNext, but no service registers it"
    ])
    const cycle = resolveStructure(["a"], lookup({ a: ["b"], b: ["c"], c: ["b"] }))
    expect(Either.isLeft(cycle) && describeProblem(cycle.left[0]!)).toBe("cycle: b → c → b")
    const entry = resolveStructure(["a", "b"], lookup({ a: ["b"], b: [] }))
    expect(Either.isLeft(entry) && describeProblem(entry.left[0]!)).toBe("entry task 'b' is also reached from 'a'")
    expect(Either.isLeft(resolveStructure(["missing"], lookup({})))).toBe(true)
  })

  it("versions depend on the structure only", () => {
    const reordered = Either.getOrThrow(resolveStructure(["download"], lookup({
      ...registry,
      download: ["extract-tables", "extract-text"]
    })))
    expect(structureVersion(reordered)).toBe(structureVersion(complex))
    const changed = Either.getOrThrow(resolveStructure(["download"], lookup({ ...registry, notify: ["archive"] })))
    expect(structureVersion(changed)).not.toBe(structureVersion(complex))
  })
})

describe("execution plan", () => {
  it("prints the spec's dry-run plan for the complex DAG", () => {
    expect(formatPlan(executionPlan(complex))).toEqual([
      "1. download (entry)",
      "2. extract-text, extract-tables (parallel)",
      "3. summarize (join, waits for: extract-text, extract-tables)",
      "4. notify, archive (parallel, end)"
    ])
  })
})

const run = (structure: PipelineStructure, steps: ReadonlyArray<[string, "ok" | "fail", ReadonlyArray<string>?]>, mode: "fail-fast" | "continue" | "partial-merge") => {
  let state = initialState(structure)
  let outcome = null as string | null
  const started: Array<string> = [...structure.entry]
  for (const [id, result, selected] of steps) {
    const t = result === "ok" ? completeTask(structure, state, id, selected ?? null, mode) : failTask(structure, state, id, mode)
    state = t.state
    outcome = t.outcome
    started.push(...t.start)
  }
  return { state, outcome, started }
}

describe("routing scenarios", () => {
  it("a dynamic skip still runs the join with the branch missing", () => {
    const r = run(complex, [["download", "ok", ["extract-text"]], ["extract-text", "ok"], ["summarize", "ok"], ["notify", "ok"], ["archive", "ok"]], "fail-fast")
    expect(r.state.tasks["extract-tables"]).toBe("skipped")
    expect(r.state.tasks["summarize"]).toBe("completed")
    expect(r.state.edges["extract-text->summarize"]).toBe("live")
    expect(r.state.edges["extract-tables->summarize"]).toBe("dead")
    expect(r.outcome).toBe("completed")
  })

  it("fail-fast cancels everything still waiting or running and fails the run", () => {
    const r = run(complex, [["download", "ok"], ["extract-tables", "fail"]], "fail-fast")
    expect(r.state.tasks["extract-text"]).toBe("cancelled")
    expect(r.state.tasks["summarize"]).toBe("cancelled")
    expect(r.outcome).toBe("failed")
  })

  it("continue lets independent branches finish, skips the merge and fails the run", () => {
    const r = run(complex, [["download", "ok"], ["extract-tables", "fail"], ["extract-text", "ok"]], "continue")
    expect(r.state.tasks["extract-text"]).toBe("completed")
    expect(r.state.tasks["summarize"]).toBe("skipped")
    expect(r.state.tasks["notify"]).toBe("skipped")
    expect(r.outcome).toBe("failed")
  })

  it("partial-merge runs the merge with what completed and marks the run partial", () => {
    const r = run(complex, [["download", "ok"], ["extract-tables", "fail"], ["extract-text", "ok"], ["summarize", "ok"], ["notify", "ok"], ["archive", "ok"]], "partial-merge")
    expect(r.state.tasks["summarize"]).toBe("completed")
    expect(r.outcome).toBe("partial")
  })

  it("retrying a failed task reopens what its failure skipped, and the run can complete", () => {
    const failed = run(complex, [["download", "ok"], ["extract-tables", "fail"], ["extract-text", "ok"]], "continue")
    const { state: reopened, start, reopen } = retryTask(complex, failed.state, "extract-tables")
    expect(start).toEqual(["extract-tables"])
    expect(reopen).toEqual(["summarize", "notify", "archive"])
    expect(reopened.tasks["extract-tables"]).toBe("started")
    expect(reopened.tasks["summarize"]).toBe("waiting")
    expect(reopened.tasks["notify"]).toBe("waiting")
    let state = reopened
    let outcome = null as string | null
    for (const id of ["extract-tables", "summarize", "notify", "archive"]) {
      const t = completeTask(complex, state, id, null, "continue")
      state = t.state
      outcome = t.outcome
    }
    expect(outcome).toBe("completed")
  })
})

describe("execution plan of the PDF pipeline", () => {
  it("marks a join that ends the pipeline", () => {
    const pdf = Either.getOrThrow(resolveStructure(["download"], lookup({
      download: ["extract-text", "extract-tables"],
      "extract-text": ["summarize"],
      "extract-tables": ["summarize"],
      summarize: []
    })))
    expect(formatPlan(executionPlan(pdf))).toEqual([
      "1. download (entry)",
      "2. extract-text, extract-tables (parallel)",
      "3. summarize (end, join, waits for: extract-text, extract-tables)"
    ])
  })
})

describe("cancellation", () => {
  it("an operator cancelling one task fails it for routing and records it cancelled", () => {
    const afterDownload = completeTask(complex, initialState(complex), "download", null, "continue").state
    const fast = cancelTask(complex, afterDownload, "extract-text", "fail-fast")
    expect(fast.state.tasks["extract-text"]).toBe("cancelled")
    expect(fast.cancel).toEqual(["archive", "extract-tables", "notify", "summarize"])
    expect(fast.outcome).toBe("failed")
    const cont = cancelTask(complex, afterDownload, "extract-text", "continue")
    expect(cont.state.tasks["extract-text"]).toBe("cancelled")
    expect(cont.state.edges["extract-text->summarize"]).toBe("failed")
    expect(cont.outcome).toBeNull()
  })

  it("cancelling the run cancels every task not yet ended and keeps the others", () => {
    const afterDownload = completeTask(complex, initialState(complex), "download", null, "continue").state
    const { cancel, state } = cancelRun(afterDownload)
    expect(cancel).toEqual(["archive", "extract-tables", "extract-text", "notify", "summarize"])
    expect(state.tasks["download"]).toBe("completed")
    expect(Object.values(state.tasks).filter((s) => s === "cancelled")).toHaveLength(5)
    expect(cancelRun(state).cancel).toEqual([])
  })
})
