/**
 * The benchmark's worker process: a no-op task that records, per run, the wall-clock time its
 * handler started; `GET /stats` on `STATS_PORT` returns them.
 */
import { createServer } from "node:http"
import { createWorker } from "@pipeweave/sdk"

const starts: Record<string, number> = {}

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

createServer((_req, res) => {
  res.setHeader("content-type", "application/json")
  res.end(JSON.stringify({ starts }))
}).listen(Number(process.env["STATS_PORT"]), "127.0.0.1")

await worker.listen(Number(process.env["WORKER_PORT"]), "127.0.0.1")
