/**
 * The worker process of `profileWorker.ts`: one no-op task, served on `WORKER_PORT`; prints
 * `ready` once registered.
 */
import { createWorker } from "../../src/index.js"

const worker = createWorker({
  orchestratorUrl: process.env["ORCHESTRATOR_URL"]!,
  serviceId: "profile",
  secretKey: process.env["PIPEWEAVE_SECRET_KEY"]!,
  tempDir: process.env["TEMP_DIR"]!,
  silent: true
})

worker.register("noop", () => ({ ok: true }))

await worker.listen(Number(process.env["WORKER_PORT"]), "127.0.0.1")
process.stdout.write("ready\n")

process.once("SIGTERM", () => void worker.stop().then(() => process.exit(0)))
