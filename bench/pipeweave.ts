import { assertAlive } from "./children.js"
import { pollUntil, sharedNow, sleep, wallAhead } from "./clock.js"
import { get, post } from "./http.js"
import { createScratchDatabase, dropScratchDatabase } from "./postgres.js"
import { cpuMs, peakRssMb, rssMb } from "./procStats.js"
import { makeDataDir, type Orchestrator, startOrchestrator, startWorker, type Worker } from "./processes.js"
import { progress } from "./progress.js"
import type { GraphilePeer } from "./graphile.js"
import type { Settings } from "./settings.js"
import { median, percentile } from "./stats.js"

export type Database = "postgres" | "pglite"

export interface PipeWeaveResult {
  readonly database: Database
  readonly tasks: number
  /** Median of the throughput phases. */
  readonly tasksPerSecond: number
  readonly tasksPerSecondRepeats: ReadonlyArray<number>
  /** graphile-worker's jobs/s in the phase run just before each of these (null without it). */
  readonly graphileJobsPerSecondRepeats: ReadonlyArray<number> | null
  /** Median over the phases of tasks/s ÷ the jobs/s of graphile-worker's phase just before (null without it). */
  readonly tasksPerSecondToGraphile: number | null
  readonly queueToStartMs: { readonly p50: number; readonly p99: number }
  /** graphile-worker's probes interleaved with these, in blocks of ten (null without it). */
  readonly graphilePairedQueueToStartMs: { readonly p50: number; readonly p99: number } | null
  /** This queue→start p50 ÷ that of graphile-worker's interleaved probes (null without it). */
  readonly queueToStartToGraphile: number | null
  /** 5-task linear pipeline: run wall time (orchestrator timestamps) minus the handlers' own time. */
  readonly pipelineOverheadMs: { readonly p50: number; readonly p99: number }
  /** The same divided by the pipeline's 4 edges. */
  readonly pipelineOverheadPerEdgeMs: { readonly p50: number; readonly p99: number }
  /**
   * Where the overhead is spent, p50 of each (the worker's handler spans against the
   * orchestrator's timestamps, which have ms precision, on the shared clock): trigger → first
   * handler start, one handler's end → the next one's start, last handler end → run completed.
   */
  readonly pipelineSegmentsMs: { readonly start: number; readonly edge: number; readonly end: number }
  /** Orchestrator CPU (utime + stime) during the throughput phase, per task; on PGlite it includes the database. */
  readonly orchestratorCpuMsPerTask: number
  readonly orchestratorCpuMsPerTaskRepeats: ReadonlyArray<number>
  readonly workerCpuMsPerTask: number
  readonly rssIdleMb: number
  readonly rssAfterMb: number
  readonly peakRssMb: number
  readonly startupFreshMs: number
  readonly startupExistingMs: number
}

interface Status {
  readonly pending: number
  readonly running: number
  readonly waiting: number
  readonly completed: number
  readonly failed: number
}

const BATCH = 500
export const STAGES = 5
/** How long after a pipeline's last handler ended its status is first read (see `pipeline`). */
const SETTLE_MS = 25

/** One queue→start probe: a no-op task queued, the ms until its handler started; resolves once it completed. */
export const probe = async (url: string, worker: Worker, i: number): Promise<number> => {
  const sentAt = sharedNow()
  const { runId } = await post<{ runId: string }>(`${url}/api/queue/task`, { taskId: "noop", input: { probe: true, i } })
  const start = await worker.events.until(`start of ${runId}`, () => worker.events.starts.get(runId), 60_000)
  await pollUntil(`${runId} to complete`, async () => {
    const run = await get<{ status: string }>(`${url}/api/task-runs/${runId}`)
    if (run.status === "failed" || run.status === "cancelled") throw new Error(`${runId} ended ${run.status}`)
    return run.status === "completed" || undefined
  }, { deadlineMs: 60_000, intervalMs: 5 })
  return start - sentAt
}

/** Probes of each system in turn, this many at a time, when graphile-worker is there to pair with. */
const PAIRED_BLOCK = 10

/**
 * `samples` queue→start probes after `untimed` ones. With `peer`, the timed probes alternate in
 * blocks of `PAIRED_BLOCK` with as many of graphile-worker's, so both are measured under the same
 * load: the ratio is of the two p50s over those interleaved probes.
 */
const latency = async (url: string, worker: Worker, samples: number, untimed: number, peer: GraphilePeer | undefined) => {
  for (let i = 0; i < untimed + 1; i++) await probe(url, worker, i)
  const values: Array<number> = []
  const peerValues: Array<number> = []
  while (values.length < samples) {
    const block = Math.min(PAIRED_BLOCK, samples - values.length)
    if (peer !== undefined) peerValues.push(...await peer.probes(block))
    for (let i = 0; i < block; i++) values.push(await probe(url, worker, values.length))
  }
  const p50 = percentile(values, 50)
  const paired = peer === undefined ? null : { p50: percentile(peerValues, 50), p99: percentile(peerValues, 99) }
  return {
    queueToStartMs: { p50, p99: percentile(values, 99) },
    graphilePairedQueueToStartMs: paired,
    queueToStartToGraphile: paired === null ? null : p50 / paired.p50
  }
}

/** One run of the 5-task pipeline, in ms: its overhead and where it was spent (see `pipeline`). */
export interface PipelineSample {
  readonly overhead: number
  /** The trigger request sent → its answer received (it is not part of `overhead`, which starts at `createdAt`). */
  readonly answered: number
  /** Trigger (`createdAt`) → first handler start. */
  readonly start: number
  /** Each handler's end → the next one's start (four). */
  readonly edges: ReadonlyArray<number>
  /** Last handler end → run completed. */
  readonly end: number
}

/**
 * One run of the 5-task linear pipeline whose handlers sleep 20 ms, triggered once the last has
 * ended. Its overhead is its time from the orchestrator's `createdAt` to its `completedAt` minus its
 * handlers' own time, split where it is spent from the worker's spans of the stage handlers. The
 * orchestrator's stamps are wall-clock times, moved to the shared clock with the offset read just
 * before the trigger and just after the end (`wallAhead`). The run's status is first read
 * `SETTLE_MS` after its last handler ended: read at once, the bench's own request reached the
 * orchestrator just before the last callback and was served first (on the embedded database, five
 * queries in the orchestrator's own thread, ~5 ms), which the run's end then measured.
 */
export const pipelineRun = async (url: string, worker: Worker): Promise<PipelineSample> => {
  const aheadAtTrigger = wallAhead()
  const sentAt = performance.now()
  const { pipelineRunId } = await post<{ pipelineRunId: string }>(`${url}/api/pipelines/stage-1/trigger`, {
    input: { ms: 20 }
  })
  const answered = performance.now() - sentAt
  const spans = await worker.events.until(`${STAGES} handlers of ${pipelineRunId}`, () => {
    const spans = worker.events.stages.get(pipelineRunId)
    return spans !== undefined && spans.length === STAGES ? [...spans].sort((a, b) => a.index - b.index) : undefined
  }, 120_000)
  await sleep(SETTLE_MS)
  const run = await pollUntil(`${pipelineRunId} to end`, async () => {
    const run = await get<{ status: string; createdAt: string; completedAt: string | null }>(`${url}/api/runs/${pipelineRunId}`)
    return run.status === "running" ? undefined : run
  }, { deadlineMs: 60_000, intervalMs: 5 })
  if (run.status !== "completed") throw new Error(`pipeline run ${pipelineRunId} ended ${run.status}`)
  const createdAt = Date.parse(run.createdAt) - aheadAtTrigger
  const completedAt = Date.parse(run.completedAt!) - wallAhead()
  const handlerMs = spans.reduce((sum, span) => sum + span.endMs - span.startMs, 0)
  return {
    overhead: completedAt - createdAt - handlerMs,
    answered,
    start: spans[0]!.startMs - createdAt,
    edges: spans.slice(1).map((span, k) => span.startMs - spans[k]!.endMs),
    end: completedAt - spans[STAGES - 1]!.endMs
  }
}

/** `samples` pipeline runs (`pipelineRun`) after `untimed` ones: the p50 overhead, and the p50 of each segment. */
const pipeline = async (url: string, worker: Worker, samples: number, untimed: number) => {
  const runs: Array<PipelineSample> = []
  for (let i = 0; i < untimed + samples; i++) {
    const run = await pipelineRun(url, worker)
    if (i >= untimed) runs.push(run)
  }
  const overhead = runs.map((r) => r.overhead)
  return {
    overhead: { p50: percentile(overhead, 50), p99: percentile(overhead, 99) },
    segmentsMs: {
      start: percentile(runs.map((r) => r.start), 50),
      edge: percentile(runs.flatMap((r) => r.edges), 50),
      end: percentile(runs.map((r) => r.end), 50)
    }
  }
}

/** Waits until nothing is pending, in flight or waiting, and returns the status then. */
const quiet = (url: string) =>
  pollUntil("the queue to be idle", async () => {
    const status = await get<Status>(`${url}/api/queue/status`)
    return status.pending + status.running + status.waiting === 0 ? status : undefined
  }, { deadlineMs: 120_000, intervalMs: 20 })

const queueNoops = async (url: string, tasks: number) => {
  for (let sent = 0; sent < tasks; sent += BATCH) {
    const size = Math.min(BATCH, tasks - sent)
    await post(`${url}/api/queue/batch`, {
      tasks: Array.from({ length: size }, (_, i) => ({ taskId: "noop", input: { n: sent + i } }))
    })
  }
}

/** Per SDK worker, how many no-op tasks (probes aside) the bench has queued for it so far. */
const noopsQueued = new WeakMap<Worker, number>()

/** While the worker's handlers have not all returned, the orchestrator's status is read this often (for failures). */
const SLOW_POLL_MS = 250

/**
 * Queues `tasks` no-op tasks in batches of 500 and waits until they are completed, detecting the
 * end as graphile-worker's phase does: the worker says over IPC when its no-op handlers have
 * returned that many times, then the orchestrator's status is read every 2 ms until it counts them
 * completed (compared with the count taken when the queue was idle before, so runs of earlier
 * phases are not counted). Meanwhile the status is read every `SLOW_POLL_MS`, to fail on a failed
 * task; reading it every 20 ms throughout, as the bench used to, cost the orchestrator ~2% of a
 * phase's CPU that graphile-worker's phase was not charged. Returns the seconds from the first
 * request.
 */
export const drain = async (url: string, worker: Worker, tasks: number): Promise<number> => {
  const before = await quiet(url)
  const target = (noopsQueued.get(worker) ?? 0) + tasks
  noopsQueued.set(worker, target)
  const started = performance.now()
  await queueNoops(url, tasks)
  worker.events.ask(["notify-at", target])
  const deadline = performance.now() + Math.max(300_000, tasks * 200)
  const completed = async (): Promise<true | undefined> => {
    const status = await get<Status>(`${url}/api/queue/status`)
    if (status.failed > before.failed) throw new Error(`${status.failed - before.failed} tasks failed`)
    if (status.completed - before.completed >= tasks) return true
    if (performance.now() > deadline) throw new Error(`only ${status.completed - before.completed} of ${tasks} completed`)
    return undefined
  }
  const returned = () => worker.events.reached >= target || undefined
  while (returned() === undefined) {
    assertAlive(worker.child)
    await worker.events.until(`${target} no-op handlers to return`, returned, SLOW_POLL_MS).catch(() => undefined)
    if (returned() === undefined && (await completed()) === true) break
  }
  await pollUntil(`${tasks} tasks to be completed`, completed, { deadlineMs: 60_000, intervalMs: 2 })
  return (performance.now() - started) / 1000
}

/**
 * `tasks` no-op tasks timed, `repeats` times (after the warm-up and latency tasks); CPU of both processes over
 * each timed phase. Each figure is the median of the phases (this machine is shared and noisy). With
 * `peer`, each phase follows one of graphile-worker's, and its ratio to that one is kept.
 */
const throughput = async (orchestrator: Orchestrator, worker: Worker, settings: Settings, peer: GraphilePeer | undefined) => {
  const phases: Array<{ tasksPerSecond: number; orchestratorCpuMsPerTask: number; workerCpuMsPerTask: number }> = []
  const peerRates: Array<number> = []
  for (let i = 0; i < settings.repeats; i++) {
    if (peer !== undefined) peerRates.push(await peer.phase())
    await quiet(orchestrator.url)
    const cpu = { orchestrator: cpuMs(orchestrator.child.pid), worker: cpuMs(worker.child.pid) }
    const seconds = await drain(orchestrator.url, worker, settings.tasks)
    phases.push({
      tasksPerSecond: settings.tasks / seconds,
      orchestratorCpuMsPerTask: (cpuMs(orchestrator.child.pid) - cpu.orchestrator) / settings.tasks,
      workerCpuMsPerTask: (cpuMs(worker.child.pid) - cpu.worker) / settings.tasks
    })
  }
  return {
    tasksPerSecond: median(phases.map((p) => p.tasksPerSecond)),
    tasksPerSecondRepeats: phases.map((p) => p.tasksPerSecond),
    graphileJobsPerSecondRepeats: peer === undefined ? null : peerRates,
    tasksPerSecondToGraphile: peer === undefined ? null : median(phases.map((p, i) => p.tasksPerSecond / peerRates[i]!)),
    orchestratorCpuMsPerTask: median(phases.map((p) => p.orchestratorCpuMsPerTask)),
    orchestratorCpuMsPerTaskRepeats: phases.map((p) => p.orchestratorCpuMsPerTask),
    workerCpuMsPerTask: median(phases.map((p) => p.workerCpuMsPerTask))
  }
}

const measure = async (
  database: Database,
  env: Record<string, string>,
  settings: Settings,
  peer: GraphilePeer | undefined
): Promise<PipeWeaveResult> => {
  const dataDir = makeDataDir()
  const fresh = await startOrchestrator(env, dataDir)
  await fresh.child.stop()
  progress(`${database}: fresh start-up ${fresh.startupMs.toFixed(0)} ms`)
  const orchestrator = await startOrchestrator(env, dataDir)
  progress(`${database}: start-up on existing data ${orchestrator.startupMs.toFixed(0)} ms`)
  let worker: Worker | undefined
  try {
    worker = await startWorker(orchestrator.url)
    const rssIdleMb = rssMb(orchestrator.child.pid)
    if (settings.warmup > 0) await drain(orchestrator.url, worker, settings.warmup)
    const { graphilePairedQueueToStartMs, queueToStartMs, queueToStartToGraphile } = await latency(
      orchestrator.url,
      worker,
      settings.latencySamples,
      settings.pathWarmup,
      peer
    )
    progress(`${database}: queue→start p50 ${queueToStartMs.p50.toFixed(1)} ms${
      graphilePairedQueueToStartMs === null ? "" : ` (graphile-worker's, interleaved: ${graphilePairedQueueToStartMs.p50.toFixed(1)} ms)`
    }`)
    const { overhead, segmentsMs } = await pipeline(
      orchestrator.url,
      worker,
      settings.pipelineSamples,
      Math.ceil(settings.pathWarmup / 10)
    )
    progress(`${database}: pipeline overhead p50 ${overhead.p50.toFixed(0)} ms per run (p50s: trigger→first handler ${
      segmentsMs.start.toFixed(1)
    }, handler→next handler ${segmentsMs.edge.toFixed(1)}, last handler→completed ${segmentsMs.end.toFixed(1)} ms)`)
    const rate = await throughput(orchestrator, worker, settings, peer)
    const peerRates = rate.graphileJobsPerSecondRepeats
    progress(`${database}: ${rate.tasksPerSecondRepeats.map((r) => r.toFixed(0)).join(", ")} tasks/s${
      peerRates === null ? "" : ` (graphile-worker just before each: ${peerRates.map((r) => r.toFixed(0)).join(", ")} jobs/s)`
    }`)
    return {
      database,
      tasks: settings.tasks,
      ...rate,
      queueToStartMs,
      graphilePairedQueueToStartMs,
      queueToStartToGraphile,
      pipelineOverheadMs: overhead,
      pipelineOverheadPerEdgeMs: { p50: overhead.p50 / (STAGES - 1), p99: overhead.p99 / (STAGES - 1) },
      pipelineSegmentsMs: segmentsMs,
      rssIdleMb,
      rssAfterMb: rssMb(orchestrator.child.pid),
      peakRssMb: peakRssMb(orchestrator.child.pid),
      startupFreshMs: fresh.startupMs,
      startupExistingMs: orchestrator.startupMs
    }
  } finally {
    await worker?.child.stop()
    await orchestrator.child.stop()
  }
}

/**
 * PipeWeave on a scratch PostgreSQL database or on the embedded database (a fresh data dir); its
 * throughput phases paired with graphile-worker's when `peer` is given.
 */
export const measurePipeWeave = async (
  database: Database,
  settings: Settings,
  peer?: GraphilePeer
): Promise<PipeWeaveResult> => {
  if (database === "pglite") return measure(database, {}, settings, peer)
  const url = await createScratchDatabase("pipeweave")
  try {
    return await measure(database, { DATABASE_URL: url }, settings, peer)
  } finally {
    await dropScratchDatabase(url)
  }
}
