import * as dagre from "@dagrejs/dagre"
import type { PipelineStructure } from "@pipeweave/domain/pipeline/PipelineStructure"

/** A task of a pipeline graph with its role: where runs start, fork, join and end. */
export interface DagNode {
  readonly id: string
  readonly entry: boolean
  readonly end: boolean
  /** More than one predecessor: waits for all of them. */
  readonly join: boolean
  /** More than one successor: its successors may run in parallel. */
  readonly fork: boolean
}

export interface DagEdge {
  readonly from: string
  readonly to: string
}

/** What the layout needs: nodes in a stable order and the edges between them. */
export interface DagInput {
  readonly nodes: ReadonlyArray<DagNode>
  readonly edges: ReadonlyArray<DagEdge>
}

/** The graph of `entry`, `tasks` and `edges` (as `GET /api/pipelines` lists them), every node with its role. */
export const dagInput = (
  entry: ReadonlyArray<string>,
  tasks: ReadonlyArray<string>,
  edges: ReadonlyArray<DagEdge>
): DagInput => {
  const ids = [...new Set([...entry, ...tasks])]
  const known = new Set(ids)
  const kept = edges.filter((edge) => known.has(edge.from) && known.has(edge.to))
  const unique = [...new Map(kept.map((edge) => [`${edge.from}\u0000${edge.to}`, edge])).values()]
  const count = (pick: (edge: DagEdge) => string) => {
    const counts = new Map<string, number>()
    for (const edge of unique) counts.set(pick(edge), (counts.get(pick(edge)) ?? 0) + 1)
    return counts
  }
  const incoming = count((edge) => edge.to)
  const outgoing = count((edge) => edge.from)
  const entries = new Set(entry)
  return {
    nodes: ids.map((id) => ({
      id,
      entry: entries.has(id),
      end: (outgoing.get(id) ?? 0) === 0,
      join: (incoming.get(id) ?? 0) > 1,
      fork: (outgoing.get(id) ?? 0) > 1
    })),
    edges: unique
  }
}

/** The graph a pipeline run was started with (its `structureSnapshot`). */
export const dagFromStructure = (structure: PipelineStructure): DagInput =>
  dagInput(
    structure.entry,
    Object.keys(structure.tasks),
    Object.entries(structure.tasks).flatMap(([from, task]) => task.allowedNext.map((to) => ({ from, to })))
  )

export interface Point {
  readonly x: number
  readonly y: number
}

/** A node placed by the layout: `x`, `y` is its top-left corner. */
export interface PlacedNode extends DagNode {
  readonly x: number
  readonly y: number
  readonly width: number
  readonly height: number
}

export interface PlacedEdge extends DagEdge {
  readonly points: ReadonlyArray<Point>
}

export interface DagLayout {
  readonly width: number
  readonly height: number
  readonly nodes: ReadonlyArray<PlacedNode>
  readonly edges: ReadonlyArray<PlacedEdge>
}

export interface LayoutOptions {
  readonly nodeWidth: number
  readonly nodeHeight: number
  /** "LR": left to right (wide screens); "TB": top to bottom (phones). */
  readonly direction: "LR" | "TB"
}

const MARGIN = 12

/** Places the graph with dagre (layered layout): entry tasks first, each task after its predecessors. */
export const layoutDag = (input: DagInput, options: LayoutOptions): DagLayout => {
  const graph = new dagre.graphlib.Graph()
  graph.setGraph({ rankdir: options.direction, nodesep: 24, ranksep: 56, marginx: MARGIN, marginy: MARGIN })
  graph.setDefaultEdgeLabel(() => ({}))
  for (const node of input.nodes) graph.setNode(node.id, { width: options.nodeWidth, height: options.nodeHeight })
  for (const edge of input.edges) graph.setEdge(edge.from, edge.to)
  dagre.layout(graph)
  const nodes = input.nodes.map((node) => {
    const placed = graph.node(node.id)
    return {
      ...node,
      x: placed.x - options.nodeWidth / 2,
      y: placed.y - options.nodeHeight / 2,
      width: options.nodeWidth,
      height: options.nodeHeight
    }
  })
  const edges = input.edges.map((edge) => ({
    ...edge,
    points: (graph.edge(edge.from, edge.to).points ?? []).map(({ x, y }) => ({ x, y }))
  }))
  const label = graph.graph()
  return { width: Math.ceil(label.width ?? 0), height: Math.ceil(label.height ?? 0), nodes, edges }
}

/** An SVG path through the edge's points. */
export const edgePath = (points: ReadonlyArray<Point>): string =>
  points.map((point, index) => `${index === 0 ? "M" : "L"}${point.x.toFixed(1)},${point.y.toFixed(1)}`).join(" ")
