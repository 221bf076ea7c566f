/**
 * `npm run bench:compare` (`-- --json` for JSON on stdout): two builds of PipeWeave, or one build
 * with two sets of node flags, measured turn by turn. Each arm is its own orchestrator and SDK
 * worker on its own scratch database; after a warm-up, queue→start probes and pipeline runs
 * alternate between the arms one at a time (A B, then B A), so both meet the same machine state
 * and a change of a few tenths of a millisecond shows through this host's drift, which moves a
 * whole `npm run bench` by a millisecond or more (two arms of one build differ by up to ±0.2 ms and
 * ±10% in throughput, whatever the intervals say). Progress goes to stderr.
 *
 * - `COMPARE_B_ROOT`: the checkout of arm B, built (`npm ci && npm run build`); this one by default.
 * - `COMPARE_A_FLAGS`, `COMPARE_B_FLAGS`: node flags for that arm's orchestrator and worker.
 * - `COMPARE_A_SQL`, `COMPARE_B_SQL`: SQL run on that arm's PostgreSQL database once its
 *   orchestrator has migrated it, before the warm-up (to measure what a schema change would save).
 * - `COMPARE_DATABASE`: `postgres` (default, on the bench's server) or `pglite`.
 * - `COMPARE_WARMUP` no-op tasks per arm first (2000), `COMPARE_PROBES` (200) and
 *   `COMPARE_PIPELINES` (100) timed per arm, then `COMPARE_PHASES` (6; 0 skips them) throughput
 *   phases of `COMPARE_TASKS` (1000) no-op tasks per arm, alternating as well.
 */
import { resolve } from "node:path"
import { type Build, killAllChildren, root } from "./children.js"
import { pairedDifference } from "./pairedDifference.js"
import { drain, type PipelineSample, pipelineRun, probe, STAGES } from "./pipeweave.js"
import { createScratchDatabase, dropAllScratchDatabases, psql } from "./postgres.js"
import { cpuMs } from "./procStats.js"
import { makeDataDir, type Orchestrator, removeDataDirs, startOrchestrator, startWorker, type Worker } from "./processes.js"
import { progress } from "./progress.js"
import { count } from "./settings.js"
import { median } from "./stats.js"
import { table } from "./table.js"

interface Arm {
  readonly name: "A" | "B"
  readonly build: Build
  orchestrator?: Orchestrator
  worker?: Worker
}

const flags = (name: string) => (process.env[name] ?? "").split(" ").filter((f) => f !== "")

const arms: ReadonlyArray<Arm> = [
  { name: "A", build: { root, nodeFlags: flags("COMPARE_A_FLAGS") } },
  { name: "B", build: { root: resolve(process.env["COMPARE_B_ROOT"]?.trim() || root), nodeFlags: flags("COMPARE_B_FLAGS") } }
]
const database = process.env["COMPARE_DATABASE"]?.trim() || "postgres"
if (database !== "postgres" && database !== "pglite") throw new Error(`COMPARE_DATABASE must be postgres or pglite (got "${database}")`)
const warmup = count("COMPARE_WARMUP", 2000, 0)
const probes = count("COMPARE_PROBES", 200, 1)
const pipelines = count("COMPARE_PIPELINES", 100, 1)
const phases = count("COMPARE_PHASES", 6, 0)
const tasks = count("COMPARE_TASKS", 1000, 1)
const json = process.argv.includes("--json")
const sqlFor = (arm: Arm) => process.env[`COMPARE_${arm.name}_SQL`]?.trim() || undefined
for (const arm of arms) {
  if (sqlFor(arm) !== undefined && database !== "postgres") throw new Error(`COMPARE_${arm.name}_SQL needs COMPARE_DATABASE=postgres`)
}

const start = async (arm: Arm) => {
  const env = database === "postgres" ? { DATABASE_URL: await createScratchDatabase(`compare_${arm.name.toLowerCase()}`) } : {}
  arm.orchestrator = await startOrchestrator(env, makeDataDir(), arm.build)
  const sql = sqlFor(arm)
  if (sql !== undefined && env.DATABASE_URL !== undefined) {
    await psql(env.DATABASE_URL, sql)
    progress(`arm ${arm.name}: ran ${sql}`)
  }
  arm.worker = await startWorker(arm.orchestrator.url, arm.build)
  progress(`arm ${arm.name}: ${arm.build.root} ${arm.build.nodeFlags.join(" ")} up`)
}

/** Runs `measure` on each arm in turn, `times` times, swapping which goes first on every turn. */
const alternate = async <A>(times: number, measure: (arm: Arm, i: number) => Promise<A>) => {
  const samples: Record<Arm["name"], Array<A>> = { A: [], B: [] }
  for (let i = 0; i < times; i++) {
    for (const arm of i % 2 === 0 ? arms : [...arms].reverse()) samples[arm.name].push(await measure(arm, i))
  }
  return samples
}

/** The warm-up's no-op tasks go to the arms in turn, this many at a time. */
const WARMUP_BATCH = 500

const cpuOf = (arm: Arm) => cpuMs(arm.orchestrator!.child.pid) + cpuMs(arm.worker!.child.pid)

/** One throughput phase of `tasks` no-op tasks (the bench's `drain`): tasks/s, and CPU per task of the orchestrator and worker. */
const phase = async (arm: Arm) => {
  const cpu = cpuOf(arm)
  const seconds = await drain(arm.orchestrator!.url, arm.worker!, tasks)
  return { tasksPerSecond: tasks / seconds, cpuMsPerTask: (cpuOf(arm) - cpu) / tasks }
}

const compared = <A>(samples: Record<Arm["name"], ReadonlyArray<A>>, f: (a: A) => number) => {
  const a = samples.A.map(f)
  const b = samples.B.map(f)
  return { a: median(a), b: median(b), difference: pairedDifference(a, b) }
}

const row = (measure: string, { a, b, difference: d }: ReturnType<typeof compared>, digits = 2) => {
  const n = (x: number) => x.toFixed(digits)
  return [measure, n(a), n(b), n(d.median), `${n(d.low)} … ${n(d.high)}`, `${d.bLower}/${d.pairs}`]
}

const main = async () => {
  for (const arm of arms) await start(arm)
  await alternate(Math.ceil(warmup / WARMUP_BATCH), (arm, i) =>
    drain(arm.orchestrator!.url, arm.worker!, Math.min(WARMUP_BATCH, warmup - i * WARMUP_BATCH)))
  await alternate(50, (arm, i) => probe(arm.orchestrator!.url, arm.worker!, i))
  await alternate(10, (arm) => pipelineRun(arm.orchestrator!.url, arm.worker!))
  progress("warm; probing")
  const queueToStart = await alternate(probes, (arm, i) => probe(arm.orchestrator!.url, arm.worker!, i))
  progress("pipelines")
  const cpuBefore = arms.map(cpuOf)
  const runs = await alternate(pipelines, (arm) => pipelineRun(arm.orchestrator!.url, arm.worker!))
  const cpuPerRun = arms.map((arm, i) => (cpuOf(arm) - cpuBefore[i]!) / pipelines)
  progress(phases > 0 ? "throughput" : "done")
  const rates = await alternate(phases, phase)
  const measures: ReadonlyArray<[string, ReturnType<typeof compared>]> = [
    ["queue→start", compared(queueToStart, (x) => x)],
    ["overhead per edge", compared(runs, (r: PipelineSample) => r.overhead / (STAGES - 1))],
    ["handler→handler (mean of a run's)", compared(runs, (r: PipelineSample) => r.edges.reduce((s, e) => s + e, 0) / r.edges.length)],
    ["trigger→first handler", compared(runs, (r: PipelineSample) => r.start)],
    ["trigger request answered", compared(runs, (r: PipelineSample) => r.answered)],
    ["last handler→completed", compared(runs, (r: PipelineSample) => r.end)]
  ]
  const throughput: ReadonlyArray<[string, ReturnType<typeof compared>]> = phases === 0 ? [] : [
    ["tasks/s", compared(rates, (p) => p.tasksPerSecond)],
    ["CPU per task, orchestrator + worker (ms)", compared(rates, (p) => p.cpuMsPerTask)]
  ]
  if (json) {
    const arm = (a: Arm, i: number) => ({ root: a.build.root, nodeFlags: a.build.nodeFlags, cpuMsPerPipelineRun: cpuPerRun[i] })
    const results = [...measures, ...throughput].map(([measure, r]) => ({ measure, ...r }))
    process.stdout.write(`${JSON.stringify({ database, probes, pipelines, phases, tasks, arms: arms.map(arm), results }, null, 2)}\n`)
    return
  }
  const headers = ["A", "B", "B − A (median of pairs)", "95% interval", "B lower"]
  for (const arm of arms) process.stdout.write(`${arm.name}: ${arm.build.root} ${arm.build.nodeFlags.join(" ")}\n`)
  process.stdout.write(`\n${database}, ${probes} probes and ${pipelines} pipeline runs per arm, alternating\n\n`)
  const cpu = ["CPU per pipeline run, orchestrator + worker", cpuPerRun[0]!.toFixed(2), cpuPerRun[1]!.toFixed(2), "", "", ""]
  process.stdout.write(`${table(["p50 (ms)", ...headers], [...measures.map(([m, r]) => row(m, r)), cpu])}\n`)
  if (phases === 0) return
  process.stdout.write(`\n${phases} throughput phases of ${tasks} no-op tasks per arm, alternating\n\n`)
  process.stdout.write(`${table(["median", ...headers], throughput.map(([m, r]) => row(m, r, m === "tasks/s" ? 0 : 3)))}\n`)
}

let code = 1
try {
  await main()
  code = 0
} catch (error) {
  progress(`compare failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`)
} finally {
  await killAllChildren()
  await dropAllScratchDatabases(progress)
  await removeDataDirs()
}
process.exit(code)
