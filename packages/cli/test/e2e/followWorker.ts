/**
 * The worker of the `pipeweave` follow-a-run acceptance test. Its task `crunch` (one retry) logs,
 * reports progress, then holds until the test creates the gate file `<GATE_DIR>/<runId>-<attempt>`:
 * attempt 1 then fails with code RATE_LIMITED, attempt 2 succeeds.
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { createWorker, TaskError } from "@pipeweave/sdk"

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const gateDir = env("GATE_DIR")

const opened = async (name: string) => {
  while (!existsSync(join(gateDir, name))) await new Promise((resolve) => setTimeout(resolve, 50))
}

const worker = createWorker({
  orchestratorUrl: env("ORCHESTRATOR_URL"),
  serviceId: "follow",
  version: "1.0.0",
  baseUrl: `http://127.0.0.1:${env("WORKER_PORT")}`
})

worker.register("crunch", { retries: 1, retryDelayMs: 300 }, async (ctx) => {
  ctx.log.info(`attempt ${ctx.attempt} reading the document`, { pages: 10 })
  await ctx.progress(ctx.attempt === 1 ? 40 : 80, `page ${ctx.attempt === 1 ? 4 : 8} of 10`)
  await opened(`${ctx.runId}-${ctx.attempt}`)
  if (ctx.attempt === 1) throw new TaskError("upstream busy", { code: "RATE_LIMITED" })
  ctx.log.info("all pages read")
  return { pages: 10 }
})

await worker.listen(Number(env("WORKER_PORT")), "127.0.0.1")
