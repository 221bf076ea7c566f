/**
 * The benchmark's worker process: a no-op task that records, per run, the wall-clock time its
 * handler started, and a 5-stage pipeline whose handlers record their own duration per pipeline
 * run; `GET /` on `STATS_PORT` returns both.
 */
import { createServer } from "node:http"
import { createWorker } from "@pipeweave/sdk"

const starts: Record<string, number> = {}
const handlerMs: Record<string, number> = {}

const worker = createWorker({
  orchestratorUrl: process.env["ORCHESTRATOR_URL"]!,
  serviceId: "bench",
  secretKey: process.env["PIPEWEAVE_SECRET_KEY"]!,
  baseUrl: `http://127.0.0.1:${process.env["WORKER_PORT"]}`,
  silent: true
})

worker.register("noop", (ctx) => {
  starts[ctx.runId] = performance.timeOrigin + performance.now()
  return { ok: true }
})

worker.register("sleep", async (ctx) => {
  const { ms } = ctx.input as { ms: number }
  await new Promise((resolve) => setTimeout(resolve, ms))
  return { slept: ms }
})

const STAGES = ["stage-1", "stage-2", "stage-3", "stage-4", "stage-5"]
STAGES.forEach((id, i) => {
  worker.register(id, { allowedNext: STAGES.slice(i + 1, i + 2) }, async (ctx) => {
    const began = performance.now()
    await new Promise((resolve) => setTimeout(resolve, (ctx.input as { ms: number }).ms))
    const key = ctx.pipelineRunId ?? ctx.runId
    handlerMs[key] = (handlerMs[key] ?? 0) + (performance.now() - began)
    return { stage: id }
  })
})

createServer((_req, res) => {
  res.setHeader("content-type", "application/json")
  res.end(JSON.stringify({ starts, handlerMs }))
}).listen(Number(process.env["STATS_PORT"]), "127.0.0.1")

await worker.listen(Number(process.env["WORKER_PORT"]), "127.0.0.1")
