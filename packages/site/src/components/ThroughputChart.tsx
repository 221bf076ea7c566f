import type { Throughput } from "@pipeweave/domain/Queue"

/** Bars per minute of the last hour: completed stacked under failed. Plain SVG, no library. */
export default function ThroughputChart({ throughput }: { readonly throughput: Throughput }) {
  const max = Math.max(1, ...throughput.buckets.map((b) => b.completed + b.failed))
  const width = 600
  const height = 80
  const step = width / throughput.buckets.length
  return (
    <svg
      class="throughput"
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`${throughput.completed} completed and ${throughput.failed} failed task runs in the last hour`}
    >
      {throughput.buckets.map((bucket, index) => {
        const done = (bucket.completed / max) * height
        const failed = (bucket.failed / max) * height
        return (
          <g key={bucket.start.getTime()}>
            <title>{`${bucket.start.toLocaleTimeString()}: ${bucket.completed} completed, ${bucket.failed} failed`}</title>
            <rect x={index * step + 1} width={step - 2} y={height - done} height={done} class="bar-ok" />
            <rect x={index * step + 1} width={step - 2} y={height - done - failed} height={failed} class="bar-bad" />
          </g>
        )
      })}
    </svg>
  )
}
