import type { GraphileResult } from "./graphile.js"
import type { PipeWeaveResult } from "./pipeweave.js"
import { type BenchResults, type Outcome, valueOf } from "./results.js"
import { table } from "./table.js"
import { latencyRatio, type Target, throughputRatio } from "./targets.js"

const DASH = "—"

const num = (value: number | undefined, digits?: number): string => {
  if (value === undefined || Number.isNaN(value)) return DASH
  const d = digits ?? (Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2)
  return value.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })
}

const times = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || b === 0 ? DASH : `${num(a / b)}×`

const mark = (target: Target | undefined): string =>
  target === undefined ? "" : target.pass === null ? "n/a" : target.pass ? "pass" : "MISS"

type Pick = (r: PipeWeaveResult) => number
type GwPick = (r: GraphileResult) => number

const failed = (outcome: Outcome<unknown> | null) => outcome !== null && !outcome.ok

/** The side-by-side table: graphile-worker, PipeWeave on PostgreSQL and embedded, ratios, targets. */
const mainTable = (results: BenchResults): string => {
  const gw = valueOf(results.graphile)
  const pg = valueOf(results.postgres)
  const lite = valueOf(results.pglite)
  const byId = new Map(results.targets.map((t) => [t.id, t]))
  const cell = (outcome: Outcome<unknown> | null, value: string) => failed(outcome) ? "error" : value
  const row = (
    label: string,
    pick: Pick,
    gwPick: GwPick | undefined,
    target: string,
    ids: readonly [string?, string?] = [],
    digits?: number,
    ratio: boolean | ((r: PipeWeaveResult | undefined) => number | undefined) = true
  ): Array<string> => {
    const g = gw && gwPick ? gwPick(gw) : undefined
    const p = pg ? pick(pg) : undefined
    const l = lite ? pick(lite) : undefined
    const against = (r: PipeWeaveResult | undefined, value: number | undefined) =>
      !gwPick || ratio === false ? "" : ratio === true ? times(value, g) : r === undefined ? DASH : `${num(ratio(r))}×`
    return [
      label,
      gwPick ? cell(results.graphile, num(g, digits)) : DASH,
      cell(results.postgres, num(p, digits)),
      against(pg, p),
      cell(results.pglite, num(l, digits)),
      against(lite, l),
      target,
      mark(ids[0] === undefined ? undefined : byId.get(ids[0])),
      mark(ids[1] === undefined ? undefined : byId.get(ids[1]))
    ]
  }
  const rows = [
    row("no-op tasks/s", (r) => r.tasksPerSecond, (r) => r.jobsPerSecond, "≥ 0.5× PG, ≥ 0.25× embedded",
      ["throughput.postgres", "throughput.pglite"], 1, (r) => throughputRatio(r, gw)),
    row("queue→start p50 (ms)", (r) => r.queueToStartMs.p50, (r) => r.queueToStartMs.p50, "≤ 2×",
      ["latency.postgres", "latency.pglite"], undefined, (r) => latencyRatio(r, gw)),
    row("queue→start p99 (ms)", (r) => r.queueToStartMs.p99, (r) => r.queueToStartMs.p99, ""),
    row("5-task pipeline overhead p50, per run (ms)", (r) => r.pipelineOverheadMs.p50, undefined, ""),
    row("5-task pipeline overhead p99, per run (ms)", (r) => r.pipelineOverheadMs.p99, undefined, ""),
    row("pipeline overhead p50, per edge (ms)", (r) => r.pipelineOverheadPerEdgeMs.p50, undefined, "≤ 10 ms",
      ["pipeline.postgres", "pipeline.pglite"]),
    row("pipeline p50: trigger → first handler start (ms)", (r) => r.pipelineSegmentsMs.start, undefined, ""),
    row("pipeline p50: handler end → next handler start (ms)", (r) => r.pipelineSegmentsMs.edge, undefined, ""),
    row("pipeline p50: last handler end → run completed (ms)", (r) => r.pipelineSegmentsMs.end, undefined, ""),
    row("CPU per task (ms): orchestrator¹ / graphile-worker", (r) => r.orchestratorCpuMsPerTask, (r) => r.cpuMsPerJob,
      "< 2 ms (PG)", ["cpu.postgres"]),
    row("CPU per task (ms): SDK worker", (r) => r.workerCpuMsPerTask, undefined, ""),
    row("RSS idle (MB)", (r) => r.rssIdleMb, (r) => r.rssIdleMb, "< 150 MB (PG)", ["rss.idle"], 0),
    row("RSS after the throughput phase (MB)", (r) => r.rssAfterMb, (r) => r.rssAfterMb, "", [], 0),
    row("peak RSS (MB)", (r) => r.peakRssMb, (r) => r.peakRssMb, "", [], 0),
    row("start-up to /health, existing data (s)", (r) => r.startupExistingMs / 1000, undefined, "< 2 s",
      ["startup.postgres", "startup.pglite"]),
    row("start-up, fresh database² (s)", (r) => r.startupFreshMs / 1000, (r) => r.startupFreshMs / 1000, "", [],
      undefined, false)
  ]
  return table(
    ["", "graphile-worker", "PipeWeave PG", "×gw", "PipeWeave embedded", "×gw", "target", "PG", "embedded"],
    rows,
    new Set([0, 6, 7, 8])
  )
}

const scaleTable = (results: BenchResults): string => {
  const scale = valueOf(results.scale)
  if (scale === undefined) return failed(results.scale) ? "Backlog: error" : ""
  const rows = scale.points.map((p) => [p.pending.toLocaleString("en-US"), num(p.claimMs), num(p.statusMs)])
  const q = scale.queued
  const queued = q === null ? [] : [
    `Orchestrator RSS (PostgreSQL, MODE=serverless so runs stay pending, no worker): ${num(q.rssBeforeMb, 0)} MB ` +
    `with ${q.pendingBefore.toLocaleString("en-US")} pending → ${num(q.rssAfterMb, 0)} MB (peak ${num(q.peakRssMb, 0)}) ` +
    `after queuing ${q.queued.toLocaleString("en-US")} through POST /api/queue/batch in ${num(q.seconds, 0)} s ` +
    `(${num(q.queued / q.seconds, 0)}/s)${q.queued < q.target ? `, stopped by the time budget before ${q.target.toLocaleString("en-US")}` : ""}.`
  ]
  return [
    `Backlog on PostgreSQL (medians of ${results.settings.scaleSamples}; claim of ${scale.claimLimit} by the orchestrator's ` +
    `own code in a rolled-back transaction; queue status = GET /api/queue/status round trip):`,
    table(["pending runs", "claim (ms)", "queue status (ms)"], rows),
    ...queued
  ].join("\n")
}

const cliTable = (results: BenchResults): string => {
  const cli = valueOf(results.cli)
  if (cli === undefined) return failed(results.cli) ? "CLI start-up: error" : ""
  const row = (label: string, ms: number) => [label, num(ms / 1000), ms === cli.nodeMs ? "" : `+${num((ms - cli.nodeMs) / 1000)}`]
  return [
    `CLI and SDK start-up (the bundled pipeweave bin, the built SDK; medians of ${cli.samples} runs, spawn to exit; ` +
    "services against an orchestrator on the embedded database):",
    table(["command", "wall (s)", "over node -e 0 (s)"], [
      row("node -e 0", cli.nodeMs),
      row("pipeweave --version", cli.versionMs),
      row("pipeweave services", cli.servicesMs),
      row("import @pipeweave/sdk", cli.sdkImportMs)
    ], new Set([0]))
  ].join("\n")
}

const targetTable = (targets: ReadonlyArray<Target>): string =>
  table(
    ["issue 7 target", "this run", "", "note"],
    targets.map((t) => [
      t.description,
      t.value === null ? DASH : `${num(t.value)}${t.unit === "×" ? "×" : ` ${t.unit}`}`,
      mark(t),
      t.note ?? ""
    ]),
    new Set([0, 2, 3])
  )

const errors = (results: BenchResults): Array<string> =>
  ([["graphile-worker", results.graphile], ["PipeWeave PG", results.postgres], ["PipeWeave embedded", results.pglite], [
    "backlog",
    results.scale
  ], ["CLI start-up", results.cli]] as const).flatMap(([name, outcome]) => outcome !== null && !outcome.ok ? [`${name} failed: ${outcome.error}`] : [])

/** The human-readable report printed by `npm run bench`. */
export const report = (results: BenchResults): string => {
  const s = results.settings
  const gw = valueOf(results.graphile)
  const met = results.targets.filter((t) => t.pass === true).length
  return [
    `PipeWeave vs graphile-worker${gw ? ` ${gw.version}` : ""} — ${s.tasks} no-op tasks per throughput phase, ` +
    `${s.latencySamples} queue→start samples, ${s.pipelineSamples} pipeline runs (after ${s.pathWarmup} and ` +
    `${Math.ceil(s.pathWarmup / 10)} untimed ones; tasks/s and CPU per task: medians of ` +
    `${s.repeats} such phases per database, graphile-worker's jobs/s of ${s.graphileRepeats}); ${results.machine.cpus} cores, ` +
    `Node ${results.machine.node}, load average ${num(results.machine.loadAverage.start, 1)} at the start and ` +
    `${num(results.machine.loadAverage.end, 1)} at the end; same PostgreSQL server. Ratios (×gw) are PipeWeave ÷ ` +
    `graphile-worker from this run; for tasks/s, the median of each PipeWeave phase ÷ a graphile-worker phase run ` +
    `just before it; for queue→start p50, of PipeWeave's probes ÷ as many of graphile-worker's interleaved with them ` +
    `in blocks of ten (graphile-worker's column: its own ${s.graphileRepeats} phases and ${s.latencySamples} probes).`,
    "",
    mainTable(results),
    "",
    "¹ On the embedded database the orchestrator's CPU includes the database (PGlite runs in its process).",
    "² graphile-worker: spawn until run() resolved, its schema installed; PipeWeave: spawn until /health, migrations run.",
    "",
    scaleTable(results),
    "",
    cliTable(results),
    "",
    targetTable(results.targets),
    "",
    `${met} of ${results.targets.length} targets met. Measured in ${num(results.wallSeconds, 0)} s (before clean-up).`,
    ...errors(results)
  ].join("\n")
}
