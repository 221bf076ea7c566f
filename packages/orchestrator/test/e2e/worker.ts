/**
 * The worker process of the end-to-end tests: a real `@pipeweave/sdk` worker whose handlers
 * count their executions per run and the in-flight maximum per task type, served on
 * `STATS_PORT` (`GET /stats`) so a test can check "exactly once" and concurrency limits.
 */
import { createServer } from "node:http"
import { setTimeout as sleep } from "node:timers/promises"
import { createWorker } from "@pipeweave/sdk"

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const executions = new Map<string, number>()
const executedBy = new Map<string, Array<number>>()
const inFlight = new Map<string, number>()
const maxInFlight = new Map<string, number>()

const tracked = <I, O>(taskId: string, body: (input: I) => Promise<O> | O) => async (ctx: { runId: string; attempt: number; input: I }) => {
  executions.set(ctx.runId, (executions.get(ctx.runId) ?? 0) + 1)
  executedBy.set(ctx.runId, [...(executedBy.get(ctx.runId) ?? []), ctx.attempt])
  const now = (inFlight.get(taskId) ?? 0) + 1
  inFlight.set(taskId, now)
  maxInFlight.set(taskId, Math.max(maxInFlight.get(taskId) ?? 0, now))
  try {
    return await body(ctx.input)
  } finally {
    inFlight.set(taskId, (inFlight.get(taskId) ?? 1) - 1)
  }
}

const worker = createWorker({
  orchestratorUrl: env("ORCHESTRATOR_URL"),
  serviceId: process.env["SERVICE_ID"] ?? "e2e-worker",
  version: process.env["SERVICE_VERSION"] ?? "1.0.0",
  secretKey: env("PIPEWEAVE_SECRET_KEY"),
  baseUrl: `http://127.0.0.1:${env("WORKER_PORT")}`,
  silent: true
})

worker.register("noop", tracked("noop", (input: { n?: number }) => ({ n: input.n ?? null, ok: true })))
worker.register(
  "limited",
  { concurrency: Number(process.env["LIMITED_CONCURRENCY"] ?? 3) },
  tracked("limited", async (input: { n?: number; workMs?: number }) => {
    await sleep(input.workMs ?? 10)
    return { n: input.n ?? null }
  })
)

const heartbeatIntervalMs = Number(process.env["HEARTBEAT_INTERVAL_MS"] ?? 500)
worker.register(
  "work",
  { heartbeatIntervalMs, retries: 5, retryDelayMs: 100, timeout: 120 },
  tracked("work", async (input: { n?: number; workMs?: number }) => {
    await sleep(input.workMs ?? 100)
    return { n: input.n ?? null, worker: process.env["WORKER_PORT"] }
  })
)

createServer((_req, res) => {
  res.setHeader("content-type", "application/json")
  res.end(JSON.stringify({
    executions: Object.fromEntries(executions),
    attempts: Object.fromEntries(executedBy),
    maxInFlight: Object.fromEntries(maxInFlight),
    inFlight: Object.fromEntries(inFlight)
  }))
}).listen(Number(env("STATS_PORT")), "127.0.0.1")

await worker.listen(Number(env("WORKER_PORT")), "127.0.0.1")
