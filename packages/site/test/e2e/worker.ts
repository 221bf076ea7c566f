/**
 * The worker process of the site's browser tests: a real `@pipeweave/sdk` worker with a small
 * pipeline (`report`: fetch → summarize) and a task that always fails (it ends in the dead letter
 * queue), so every page has something to show.
 */
import { createWorker } from "@pipeweave/sdk"

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const worker = createWorker({
  orchestratorUrl: env("ORCHESTRATOR_URL"),
  serviceId: process.env["SERVICE_ID"] ?? "site-e2e-worker",
  version: "1.0.0",
  secretKey: env("PIPEWEAVE_SECRET_KEY"),
  baseUrl: `http://127.0.0.1:${env("WORKER_PORT")}`,
  silent: true
})

worker.register("fetch", { allowedNext: ["summarize"] }, (ctx: { input: { url?: string } }) => ({ bytes: (ctx.input.url ?? "").length }))
worker.register("summarize", (ctx: { input: unknown }) => ({ summary: `summary of ${JSON.stringify(ctx.input).slice(0, 40)}` }))
worker.register("always-fails", { retries: 0 }, () => {
  throw new Error("this task always fails")
})
worker.pipeline("report", { entry: ["fetch"], description: "Fetch a document, then summarize it" })

await worker.listen(Number(env("WORKER_PORT")), "127.0.0.1")
console.log("worker ready")
