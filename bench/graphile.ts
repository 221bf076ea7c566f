import { createRequire } from "node:module"
import { makeWorkerUtils, type WorkerUtils } from "graphile-worker"
import { pollUntil, sharedNow } from "./clock.js"
import { createScratchDatabase, dropScratchDatabase } from "./postgres.js"
import { cpuMs, peakRssMb, rssMb } from "./procStats.js"
import { startGraphileWorker, type Worker } from "./processes.js"
import { progress } from "./progress.js"
import type { Settings } from "./settings.js"
import { median, percentile } from "./stats.js"

export interface GraphileResult {
  readonly version: string
  readonly jobs: number
  /** Median of the repetitions. */
  readonly jobsPerSecond: number
  readonly jobsPerSecondRepeats: ReadonlyArray<number>
  readonly queueToStartMs: { readonly p50: number; readonly p99: number }
  /** CPU of the worker process (utime + stime) during the throughput phase, per job. */
  readonly cpuMsPerJob: number
  readonly rssIdleMb: number
  readonly rssAfterMb: number
  readonly peakRssMb: number
  /** Spawn until `run()` resolved, schema installed on a fresh database. */
  readonly startupFreshMs: number
}

const BATCH = 500

/** One queue→start probe: a no-op job queued, the ms until its handler started; resolves once it completed. */
const probe = async (utils: WorkerUtils, worker: Worker, i: number): Promise<number> => {
  const sentAt = sharedNow()
  const job = await utils.addJob("noop", { probe: true, i })
  const start = await worker.events.until(`start of job ${job.id}`, () => worker.events.starts.get(job.id), 60_000)
  await worker.events.until(`completion of job ${job.id}`, () => worker.events.done.has(job.id) || undefined, 60_000)
  return start - sentAt
}

const latency = async (utils: WorkerUtils, worker: Worker, samples: number, untimed: number) => {
  const values: Array<number> = []
  for (let i = 0; i < untimed + 1 + samples; i++) {
    const value = await probe(utils, worker, i)
    if (i > untimed) values.push(value)
  }
  return { p50: percentile(values, 50), p99: percentile(values, 99) }
}

const remainingJobs = (utils: WorkerUtils) =>
  utils.withPgClient(async (client) => {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM graphile_worker.jobs")
    return rows[0]!.n
  })

const addNoops = async (utils: WorkerUtils, jobs: number) => {
  for (let sent = 0; sent < jobs; sent += BATCH) {
    const size = Math.min(BATCH, jobs - sent)
    await utils.addJobs(Array.from({ length: size }, (_, i) => ({ identifier: "noop", payload: { n: sent + i } })))
  }
}

/** Queues `jobs` no-op jobs in batches of 500 and waits until the worker has completed `total` jobs and none is left. */
const drain = async (utils: WorkerUtils, worker: Worker, jobs: number, total: number) => {
  await addNoops(utils, jobs)
  worker.events.ask(["notify-at", total])
  await worker.events.until(`${total} completed jobs`, () => worker.events.reached >= total || undefined,
    Math.max(120_000, jobs * 50))
  await pollUntil("an empty graphile_worker.jobs", async () => (await remainingJobs(utils)) === 0 || undefined, {
    deadlineMs: 60_000,
    intervalMs: 2
  })
}

/**
 * graphile-worker on a scratch database of the same PostgreSQL server, kept running after its own
 * measurement so that each of PipeWeave's throughput phases can be paired with one of its own, run
 * just before: the machine is shared, and a ratio of phases minutes apart measured the drift too.
 */
export interface GraphilePeer {
  /**
   * Warm-up, queue→start, then `tasks` no-op jobs timed from the first insert until none is left,
   * `graphileRepeats` times (the median is reported: one repetition takes about a second, so a
   * burst of load elsewhere would skew a single one). CPU per job is over all timed repetitions.
   */
  readonly measure: () => Promise<GraphileResult>
  /** One more timed throughput phase of `tasks` jobs, once `measure` has run: its jobs/s. */
  readonly phase: () => Promise<number>
  /** `count` more queue→start probes, once `measure` has run: each one's ms. */
  readonly probes: (count: number) => Promise<ReadonlyArray<number>>
  /** Stops the worker and drops its database (whatever was started). */
  readonly stop: () => Promise<void>
}

export const graphilePeer = (settings: Settings): GraphilePeer => {
  let url: string | undefined
  let worker: (Worker & { startupMs: number }) | undefined
  let utils: WorkerUtils | undefined
  let completed = 0

  const timedPhase = async (utils: WorkerUtils, worker: Worker) => {
    const started = performance.now()
    completed += settings.tasks
    await drain(utils, worker, settings.tasks, completed)
    return settings.tasks / ((performance.now() - started) / 1000)
  }

  const measure = async (): Promise<GraphileResult> => {
    url = await createScratchDatabase("graphile")
    const started = await startGraphileWorker(url)
    worker = started
    progress(`graphile-worker: running after ${started.startupMs.toFixed(0)} ms`)
    const connected = await makeWorkerUtils({ connectionString: url })
    utils = connected
    const rssIdleMb = rssMb(started.child.pid)
    if (settings.warmup > 0) await drain(connected, started, settings.warmup, settings.warmup)
    const queueToStartMs = await latency(connected, started, settings.latencySamples, settings.pathWarmup)
    progress(`graphile-worker: queue→start p50 ${queueToStartMs.p50.toFixed(1)} ms`)
    completed = settings.warmup + settings.pathWarmup + settings.latencySamples + 1
    const cpuBefore = cpuMs(started.child.pid)
    const rates: Array<number> = []
    for (let i = 0; i < settings.graphileRepeats; i++) rates.push(await timedPhase(connected, started))
    progress(`graphile-worker: ${rates.map((r) => r.toFixed(0)).join(", ")} jobs/s`)
    return {
      version: (createRequire(import.meta.url)("graphile-worker/package.json") as { version: string }).version,
      jobs: settings.tasks,
      jobsPerSecond: median(rates),
      jobsPerSecondRepeats: rates,
      cpuMsPerJob: (cpuMs(started.child.pid) - cpuBefore) / (settings.tasks * settings.graphileRepeats),
      queueToStartMs,
      rssIdleMb,
      rssAfterMb: rssMb(started.child.pid),
      peakRssMb: peakRssMb(started.child.pid),
      startupFreshMs: started.startupMs
    }
  }

  const phase = async () => {
    if (utils === undefined || worker === undefined) throw new Error("graphile-worker is not running")
    return timedPhase(utils, worker)
  }

  const probes = async (count: number) => {
    if (utils === undefined || worker === undefined) throw new Error("graphile-worker is not running")
    const values: Array<number> = []
    for (let i = 0; i < count; i++) values.push(await probe(utils, worker, i))
    completed += count
    return values
  }

  const stop = async () => {
    const [u, w, db] = [utils, worker, url]
    utils = undefined
    worker = undefined
    url = undefined
    await u?.release()
    await w?.child.stop()
    if (db !== undefined) await dropScratchDatabase(db)
  }

  return { measure, phase, probes, stop }
}
