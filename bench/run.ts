/**
 * `npm run bench`: end-to-end numbers with real processes on 127.0.0.1 (compiled orchestrator,
 * SDK worker), on the embedded PGlite database and on PostgreSQL (`BENCH_DATABASE_URL`, else
 * `TEST_DATABASE_URL`, else postgres://postgres@127.0.0.1:5432/postgres; a scratch database is
 * created and dropped).
 *
 * - throughput: no-op tasks queued in batches of 500, first request to last completion;
 * - latency: one task at a time, from the queue request to the handler's first line (p50/p99);
 * - pipeline overhead: a 5-stage linear pipeline (20 ms handlers), run wall time (trigger to
 *   completion, the orchestrator's timestamps) minus the handlers' own time (p50/p99).
 */
import { execFileSync } from "node:child_process"
import { get, percentile, post, sleep, startOrchestrator, startWorker } from "./harness.js"

const THROUGHPUT_TASKS = Number(process.env["BENCH_TASKS"] ?? 1000)
const LATENCY_SAMPLES = Number(process.env["BENCH_LATENCY_SAMPLES"] ?? 100)
const PIPELINE_SAMPLES = Number(process.env["BENCH_PIPELINE_SAMPLES"] ?? 30)

interface Status {
  readonly completed: number
  readonly failed: number
}

const throughput = async (url: string) => {
  const started = performance.now()
  for (let sent = 0; sent < THROUGHPUT_TASKS; sent += 500) {
    const size = Math.min(500, THROUGHPUT_TASKS - sent)
    await post(`${url}/api/queue/batch`, {
      tasks: Array.from({ length: size }, (_, i) => ({ taskId: "noop", input: { n: sent + i } }))
    })
  }
  for (;;) {
    const status = await get<Status>(`${url}/api/queue/status`)
    if (status.failed > 0) throw new Error(`${status.failed} tasks failed`)
    if (status.completed >= THROUGHPUT_TASKS) break
    await sleep(20)
  }
  return THROUGHPUT_TASKS / ((performance.now() - started) / 1000)
}

const latency = async (url: string, statsUrl: string) => {
  const samples: Array<number> = []
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const sentAt = performance.timeOrigin + performance.now()
    const { runId } = await post<{ runId: string }>(`${url}/api/queue/task`, { taskId: "noop", input: { i } })
    for (;;) {
      const { starts } = await get<{ starts: Record<string, number> }>(statsUrl)
      const start = starts[runId]
      if (start !== undefined) {
        samples.push(start - sentAt)
        break
      }
      await sleep(2)
    }
    await sleep(10)
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

const pipelineOverhead = async (url: string, statsUrl: string) => {
  const samples: Array<number> = []
  for (let i = 0; i < PIPELINE_SAMPLES; i++) {
    const { pipelineRunId } = await post<{ pipelineRunId: string }>(`${url}/api/pipelines/stage-1/trigger`, {
      input: { ms: 20 }
    })
    for (;;) {
      const run = await get<{ status: string; createdAt: string; completedAt: string | null }>(`${url}/api/runs/${pipelineRunId}`)
      if (run.status !== "running") {
        if (run.status !== "completed") throw new Error(`pipeline run ${pipelineRunId} ended ${run.status}`)
        const { handlerMs } = await get<{ handlerMs: Record<string, number> }>(statsUrl)
        const wall = Date.parse(run.completedAt!) - Date.parse(run.createdAt)
        samples.push(wall - handlerMs[pipelineRunId]!)
        break
      }
      await sleep(5)
    }
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

const measure = async (label: string, env: Record<string, string>) => {
  const orchestrator = await startOrchestrator(env)
  const worker = await startWorker(orchestrator.url)
  try {
    const lat = await latency(orchestrator.url, worker.statsUrl)
    const overhead = await pipelineOverhead(orchestrator.url, worker.statsUrl)
    const rate = await throughput(orchestrator.url)
    return {
      database: label,
      "no-op tasks/s": rate.toFixed(1),
      "queue→start p50 ms": lat.p50.toFixed(1),
      "queue→start p99 ms": lat.p99.toFixed(1),
      "5-task pipeline overhead p50 ms": overhead.p50.toFixed(1),
      "overhead p99 ms": overhead.p99.toFixed(1)
    }
  } finally {
    await worker.stop()
    await orchestrator.stop()
  }
}

const psql = (url: string, statement: string) => execFileSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-qc", statement])

const postgresUrl = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres"

const withScratchDatabase = async <A>(f: (url: string) => Promise<A>): Promise<A> => {
  const name = `pw_bench_${process.pid}`
  psql(postgresUrl, `CREATE DATABASE ${name}`)
  const url = new URL(postgresUrl)
  url.pathname = `/${name}`
  try {
    return await f(url.toString())
  } finally {
    psql(postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
}

const rows = [await measure("pglite", {})]
try {
  rows.push(await withScratchDatabase((url) => measure("postgres", { DATABASE_URL: url })))
} catch (error) {
  console.error(`PostgreSQL skipped: ${error instanceof Error ? error.message : String(error)}`)
}
console.log(
  `\nPipeWeave benchmark — ${THROUGHPUT_TASKS} no-op tasks, ${LATENCY_SAMPLES} latency samples, ` +
    `${PIPELINE_SAMPLES} pipeline runs, MAX_CONCURRENCY default (10)`
)
console.table(rows)
