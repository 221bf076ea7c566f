import { useMemo } from "preact/hooks"
import { type DagInput, edgePath, layoutDag } from "../lib/DagLayout"
import { useNarrowScreen } from "../lib/useNarrowScreen"

const NODE_WIDTH = 176
const NODE_HEIGHT = 58

/** What a node shows besides its task id: a detail line, its state (colour) and where it links to. */
export interface NodeDecoration {
  readonly detail: string
  readonly status?: string
  readonly href?: string
}

const roleOf = (node: DagInput["nodes"][number]): string =>
  [node.entry ? "entry" : "", node.fork ? "parallel after" : "", node.join ? "join" : "", node.end ? "end" : ""]
    .filter((role) => role !== "")
    .join(" · ")

/**
 * A pipeline's graph as SVG, laid out by dagre (left to right, top to bottom on phones). The
 * layout is computed once per graph; a live page only changes the nodes' state, so the drawing
 * never jumps or blanks when it refreshes.
 */
export const DagView = (props: {
  readonly graph: DagInput
  readonly label: string
  readonly decorate: (taskId: string) => NodeDecoration
}) => {
  const narrow = useNarrowScreen()
  const shape = JSON.stringify(props.graph)
  const layout = useMemo(
    () => layoutDag(props.graph, { nodeWidth: NODE_WIDTH, nodeHeight: NODE_HEIGHT, direction: narrow ? "TB" : "LR" }),
    [shape, narrow]
  )
  const markerId = `arrow-${props.label.replace(/[^A-Za-z0-9_-]/g, "-")}`
  return (
    <div class="dag-wrap">
      <svg
        class="dag"
        role="img"
        aria-label={props.label}
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width={layout.width}
        height={layout.height}
      >
        <defs>
          <marker id={markerId} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class="dag-arrow" />
          </marker>
        </defs>
        {layout.edges.map((edge) => (
          <path key={`${edge.from}->${edge.to}`} class="dag-edge" d={edgePath(edge.points)} marker-end={`url(#${markerId})`} />
        ))}
        {layout.nodes.map((node) => {
          const decoration = props.decorate(node.id)
          const role = roleOf(node)
          const body = (
            <>
              <title>{`${node.id}${role ? ` (${role})` : ""}: ${decoration.detail}`}</title>
              <rect x={node.x} y={node.y} width={node.width} height={node.height} rx="8" />
              <text x={node.x + 10} y={node.y + 19} class="dag-name">{node.id.length > 22 ? `${node.id.slice(0, 21)}…` : node.id}</text>
              <text x={node.x + 10} y={node.y + 35} class="dag-detail">{decoration.detail}</text>
              <text x={node.x + 10} y={node.y + 50} class="dag-role">{role}</text>
            </>
          )
          const className = `dag-node${decoration.status ? ` dag-${decoration.status}` : ""}`
          return decoration.href
            ? (
              <a key={node.id} href={decoration.href} class={className} data-task={node.id} data-status={decoration.status} aria-label={`${node.id}: ${decoration.detail}`}>
                {body}
              </a>
            )
            : <g key={node.id} class={className} data-task={node.id} data-status={decoration.status}>{body}</g>
        })}
      </svg>
    </div>
  )
}
