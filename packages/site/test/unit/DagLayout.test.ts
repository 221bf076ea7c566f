import { describe, expect, it } from "vitest"
import { dagFromStructure, dagInput, edgePath, layoutDag } from "../../src/lib/DagLayout"

// The pdf-processing shape: one entry, two parallel branches, a join, one end.
const diamond = dagInput(
  ["download"],
  ["download", "extract-text", "extract-tables", "summarize"],
  [
    { from: "download", to: "extract-text" },
    { from: "download", to: "extract-tables" },
    { from: "extract-text", to: "summarize" },
    { from: "extract-tables", to: "summarize" }
  ]
)

describe("dagInput", () => {
  it("marks entry, fork, join and end", () => {
    const roles = Object.fromEntries(diamond.nodes.map(({ id, ...role }) => [id, role]))
    expect(roles["download"]).toEqual({ entry: true, end: false, join: false, fork: true })
    expect(roles["extract-text"]).toEqual({ entry: false, end: false, join: false, fork: false })
    expect(roles["summarize"]).toEqual({ entry: false, end: true, join: true, fork: false })
  })

  it("drops duplicate edges and edges to unknown tasks, keeps the order of the tasks", () => {
    const input = dagInput(["a"], ["a", "b"], [{ from: "a", to: "b" }, { from: "a", to: "b" }, { from: "b", to: "ghost" }])
    expect(input.nodes.map((n) => n.id)).toEqual(["a", "b"])
    expect(input.edges).toEqual([{ from: "a", to: "b" }])
    expect(input.nodes[1]!.end).toBe(true)
  })

  it("reads a run's structure snapshot", () => {
    const input = dagFromStructure({ entry: ["a"], tasks: { a: { allowedNext: ["b", "c"] }, b: { allowedNext: [] }, c: { allowedNext: [] } } })
    expect(input.edges).toEqual([{ from: "a", to: "b" }, { from: "a", to: "c" }])
    expect(input.nodes.filter((n) => n.end).map((n) => n.id)).toEqual(["b", "c"])
  })
})

describe("layoutDag", () => {
  const options = { nodeWidth: 150, nodeHeight: 50, direction: "LR" as const }

  it("places each task after its predecessors, parallel branches side by side, without overlaps", () => {
    const layout = layoutDag(diamond, options)
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]))
    expect(at["download"]!.x).toBeLessThan(at["extract-text"]!.x)
    expect(at["extract-text"]!.x).toBe(at["extract-tables"]!.x)
    expect(at["extract-text"]!.y).not.toBe(at["extract-tables"]!.y)
    expect(at["extract-tables"]!.x).toBeLessThan(at["summarize"]!.x)
    for (const a of layout.nodes) {
      for (const b of layout.nodes) {
        if (a === b) continue
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true)
      }
    }
    for (const node of layout.nodes) {
      expect(node.x + node.width).toBeLessThanOrEqual(layout.width)
      expect(node.y + node.height).toBeLessThanOrEqual(layout.height)
    }
  })

  it("routes every edge from its source to its target", () => {
    const layout = layoutDag(diamond, options)
    expect(layout.edges).toHaveLength(4)
    for (const edge of layout.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2)
    expect(edgePath([{ x: 1, y: 2 }, { x: 3.25, y: 4 }])).toBe("M1.0,2.0 L3.3,4.0")
  })

  it("goes top to bottom when asked (phones)", () => {
    const layout = layoutDag(diamond, { ...options, direction: "TB" })
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]))
    expect(at["download"]!.y).toBeLessThan(at["summarize"]!.y)
    expect(layout.height).toBeGreaterThan(layout.width / 2)
  })
})
