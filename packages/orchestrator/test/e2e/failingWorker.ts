/**
 * A worker whose one task, `always-fails`, throws a `TaskError` with code `LEDGER_LOCKED` on every
 * attempt (`retries: 1`, so two attempts, then the dead letter queue). It prints with the SDK's
 * default output, so `LOG_FORMAT` / `LOG_LEVEL` apply to it as to the orchestrator.
 */
import { createWorker, TaskError } from "@pipeweave/sdk"

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const worker = createWorker({
  orchestratorUrl: env("ORCHESTRATOR_URL"),
  serviceId: "ledger",
  version: "1.0.0",
  baseUrl: `http://127.0.0.1:${env("WORKER_PORT")}`
})

worker.register("always-fails", { retries: 1, retryDelayMs: 300 }, () => {
  throw new TaskError("the ledger is locked", { code: "LEDGER_LOCKED" })
})

await worker.listen(Number(env("WORKER_PORT")), "127.0.0.1")
