import type { CliResult } from "./cli.js"
import type { GraphileResult } from "./graphile.js"
import type { PipeWeaveResult } from "./pipeweave.js"
import type { QueuedResult } from "./queueThroughApi.js"
import type { ScaleResult } from "./scale.js"

/** One of issue 7's targets with this run's value; `pass` is null when it was not measured. */
export interface Target {
  readonly id: string
  readonly description: string
  readonly value: number | null
  readonly unit: "×" | "ms" | "MB" | "s"
  readonly pass: boolean | null
  readonly note?: string
}

interface Measured {
  readonly graphile: GraphileResult | undefined
  readonly postgres: PipeWeaveResult | undefined
  readonly pglite: PipeWeaveResult | undefined
  readonly scale: ScaleResult | undefined
  readonly cli: CliResult | undefined
}

const target = (
  id: string,
  description: string,
  unit: Target["unit"],
  value: number | undefined,
  ok: (value: number) => boolean,
  note?: string
): Target => ({
  id,
  description,
  unit,
  value: value ?? null,
  pass: value === undefined || Number.isNaN(value) ? null : ok(value),
  ...(note === undefined ? {} : { note })
})

const size = (n: number | undefined) => n === undefined ? "?" : n.toLocaleString("en-US")

const ratio = (a: number | undefined, b: number | undefined) => a === undefined || b === undefined ? undefined : a / b

/** PipeWeave's tasks/s ÷ graphile-worker's: of paired phases when it has them, else of the medians. */
export const throughputRatio = (pipeweave: PipeWeaveResult | undefined, graphile: GraphileResult | undefined) =>
  pipeweave?.tasksPerSecondToGraphile ?? ratio(pipeweave?.tasksPerSecond, graphile?.jobsPerSecond)

/** PipeWeave's queue→start p50 ÷ graphile-worker's: of interleaved probes when it has them, else of each one's own. */
export const latencyRatio = (pipeweave: PipeWeaveResult | undefined, graphile: GraphileResult | undefined) =>
  pipeweave?.queueToStartToGraphile ?? ratio(pipeweave?.queueToStartMs.p50, graphile?.queueToStartMs.p50)

const queuedTarget = (queued: QueuedResult | undefined): Target => {
  const total = queued === undefined ? undefined : queued.pendingBefore + queued.queued
  const complete = queued !== undefined && queued.queued >= queued.target
  const checked = target("rss.queued", `orchestrator RSS on PostgreSQL with ${size(total)} pending < 150 MB`, "MB",
    queued?.rssAfterMb, (v) => v < 150)
  if (queued === undefined) return checked
  const note = `${size(queued.queued)} queued through the API (MODE=serverless, no worker)` +
    (complete ? "" : `; the time budget stopped it before ${size(queued.pendingBefore + queued.target)}`)
  return { ...checked, pass: checked.pass === true && !complete ? null : checked.pass, note }
}

/** Issue 7's targets; ratios are PipeWeave ÷ graphile-worker from the same run (throughput: paired phases; queue→start: interleaved probes). */
export const targets = ({ cli, graphile, pglite, postgres, scale }: Measured): ReadonlyArray<Target> => {
  const points = scale?.points ?? []
  const smallest = points[0]
  const largest = points.length > 1 ? points[points.length - 1] : undefined
  return [
    target("throughput.postgres", "no-op tasks/s on PostgreSQL ≥ 0.5× graphile-worker", "×",
      throughputRatio(postgres, graphile), (v) => v >= 0.5),
    target("throughput.pglite", "no-op tasks/s embedded ≥ 0.25× graphile-worker", "×",
      throughputRatio(pglite, graphile), (v) => v >= 0.25),
    target("latency.postgres", "queue→start p50 on PostgreSQL ≤ 2× graphile-worker", "×",
      latencyRatio(postgres, graphile), (v) => v <= 2),
    target("latency.pglite", "queue→start p50 embedded ≤ 2× graphile-worker", "×",
      latencyRatio(pglite, graphile), (v) => v <= 2),
    target("pipeline.postgres", "pipeline overhead p50 per edge on PostgreSQL ≤ 10 ms", "ms",
      postgres?.pipelineOverheadPerEdgeMs.p50, (v) => v <= 10),
    target("pipeline.pglite", "pipeline overhead p50 per edge embedded ≤ 10 ms", "ms",
      pglite?.pipelineOverheadPerEdgeMs.p50, (v) => v <= 10),
    target("claim.flat", `claim at ${size(largest?.pending)} pending ≤ 2× claim at ${size(smallest?.pending)}`, "×",
      ratio(largest?.claimMs, smallest?.claimMs), (v) => v <= 2),
    target("status.large", `queue status at ${size(largest?.pending)} pending < 10 ms`, "ms",
      largest?.statusMs, (v) => v < 10),
    target("cpu.postgres", "orchestrator CPU per no-op task on PostgreSQL < 2 ms", "ms",
      postgres?.orchestratorCpuMsPerTask, (v) => v < 2),
    target("rss.idle", "orchestrator RSS on PostgreSQL, idle < 150 MB", "MB", postgres?.rssIdleMb, (v) => v < 150),
    queuedTarget(scale?.queued ?? undefined),
    target("startup.postgres", "start-up to /health on PostgreSQL, existing database < 2 s", "s",
      postgres === undefined ? undefined : postgres.startupExistingMs / 1000, (v) => v < 2),
    target("startup.pglite", "start-up to /health embedded, existing data dir < 2 s", "s",
      pglite === undefined ? undefined : pglite.startupExistingMs / 1000, (v) => v < 2),
    target("cli.version", "pipeweave --version within 0.3 s of node -e 0", "s",
      cli === undefined ? undefined : (cli.versionMs - cli.nodeMs) / 1000, (v) => v <= 0.3),
    target("cli.services", "pipeweave services within 0.3 s of node -e 0", "s",
      cli === undefined ? undefined : (cli.servicesMs - cli.nodeMs) / 1000, (v) => v <= 0.3)
  ]
}
