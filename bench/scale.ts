import { makeClaimProbe } from "./claimProbe.js"
import { get } from "./http.js"
import { createScratchDatabase, dropScratchDatabase, psql } from "./postgres.js"
import { makeDataDir, type Orchestrator, startOrchestrator, startWorker } from "./processes.js"
import { progress } from "./progress.js"
import { queueThroughApi, type QueuedResult } from "./queueThroughApi.js"
import type { Settings } from "./settings.js"
import { median } from "./stats.js"

export interface ScalePoint {
  readonly pending: number
  /** Median of the timed claims (each of `claimLimit` runs, rolled back). */
  readonly claimMs: number
  readonly claimSamplesMs: ReadonlyArray<number>
  /** Median of the timed `GET /api/queue/status` round trips. */
  readonly statusMs: number
  readonly statusSamplesMs: ReadonlyArray<number>
}

export interface ScaleResult {
  readonly claimLimit: number
  readonly points: ReadonlyArray<ScalePoint>
  /** Runs queued through the API with no worker attached (`MODE=serverless`, so they stay pending). */
  readonly queued: QueuedResult | null
}

/** Adds pending `noop` runs with one SQL statement per 100k, numbered from `from` (inclusive) to `to`. */
const seed = async (url: string, from: number, to: number) => {
  for (let start = from; start <= to; start += 100_000) {
    const end = Math.min(to, start + 99_999)
    await psql(url, `
      INSERT INTO pipeweave.task_runs (id, task_id, status, priority, max_attempts, storage_backend, input_path,
                             created_at, available_at)
      SELECT 'trun_seed' || lpad(g::text, 10, '0'), t.task_id, 'pending', t.priority, t.retries + 1, 'local',
             'bench-seed/' || g || '/input.json', now() - interval '1 hour',
             now() - interval '1 hour' + g * interval '1 microsecond'
      FROM generate_series(${start}, ${end}) AS g, pipeweave.tasks t WHERE t.task_id = 'noop'`)
  }
}

const pendingCount = async (url: string) =>
  Number(await psql(url, "SELECT count(*) FROM pipeweave.task_runs WHERE status = 'pending'"))

const timeStatus = async (orchestrator: Orchestrator, expected: number, samples: number) => {
  const values: Array<number> = []
  for (let i = 0; i <= samples; i++) {
    const started = performance.now()
    const status = await get<{ pending: number }>(`${orchestrator.url}/api/queue/status`)
    const ms = performance.now() - started
    if (status.pending !== expected) throw new Error(`queue status says ${status.pending} pending, expected ${expected}`)
    if (i > 0) values.push(ms)
  }
  return values
}

/**
 * Claim cost and queue status time with growing backlogs of pending runs on a scratch
 * PostgreSQL database, migrated and registered by a real orchestrator (serverless mode: it never
 * claims by itself) and the bench worker, which is then stopped. The orchestrator's storage (an
 * input file per queued run) is in memory when possible: 100k runs' files are not what is
 * measured here, and writing and removing them on disk takes minutes on this machine.
 */
export const measureScale = async (settings: Settings): Promise<ScaleResult> => {
  const url = await createScratchDatabase("scale")
  const env = { DATABASE_URL: url, MODE: "serverless" }
  const orchestrator = await startOrchestrator(env, makeDataDir(true))
  const probe = makeClaimProbe(url)
  try {
    const worker = await startWorker(orchestrator.url)
    await worker.child.stop()
    const points: Array<ScalePoint> = []
    let queued: QueuedResult | null = null
    let seeded = 0
    for (const size of settings.scaleSizes) {
      let pending = await pendingCount(url)
      if (queued === null && settings.queued > 0 && size >= settings.queued) {
        queued = await queueThroughApi(orchestrator, pending, settings.queued - pending, settings.queuedBudgetSeconds)
        pending = await pendingCount(url)
      }
      if (pending < size) {
        progress(`scale: seeding ${size - pending} pending runs with SQL`)
        await seed(url, seeded + 1, seeded + size - pending)
        seeded += size - pending
      }
      await psql(url, "ANALYZE")
      pending = await pendingCount(url)
      const claims: Array<number> = []
      for (let i = 0; i <= settings.scaleSamples; i++) {
        const { ms, claimed } = await probe.claim(settings.claimLimit)
        if (claimed !== Math.min(settings.claimLimit, pending)) {
          throw new Error(`the claim took ${claimed} runs with ${pending} pending (limit ${settings.claimLimit})`)
        }
        if (i > 0) claims.push(ms)
      }
      const statusSamplesMs = await timeStatus(orchestrator, pending, settings.scaleSamples)
      points.push({ pending, claimMs: median(claims), claimSamplesMs: claims, statusMs: median(statusSamplesMs), statusSamplesMs })
      progress(`scale: ${pending} pending: claim ${median(claims).toFixed(1)} ms, status ${median(statusSamplesMs).toFixed(1)} ms`)
    }
    return { claimLimit: settings.claimLimit, points, queued }
  } finally {
    await probe.close()
    await orchestrator.child.stop()
    progress("scale: orchestrator stopped")
    await dropScratchDatabase(url)
    progress("scale: database dropped")
  }
}
