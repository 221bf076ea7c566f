/**
 * The benchmark's graphile-worker process (`DATABASE_URL`): default settings but concurrency 10
 * and a logger that only passes errors on (the PipeWeave worker is `silent` too). A no-op task;
 * over the IPC channel it reports the start (`sharedNow`) and the completion of jobs whose payload
 * says `probe`, and, when asked, when a number of completed jobs has been reached.
 */
import { Logger, run } from "graphile-worker"
import { completionCounter, send } from "./childEvents.js"
import { sharedNow } from "./clock.js"

const logger = new Logger(() => (level, message) => {
  if (level === "error") process.stderr.write(`${message}\n`)
})

const countCompleted = completionCounter()

const runner = await run({
  connectionString: process.env["DATABASE_URL"]!,
  concurrency: 10,
  noHandleSignals: true,
  logger,
  taskList: {
    noop: async (payload, helpers) => {
      if ((payload as { probe?: boolean }).probe === true) send(["start", helpers.job.id, sharedNow()])
    }
  }
})

runner.events.on("job:complete", ({ job, error }) => {
  if (error !== undefined && error !== null) return
  if ((job.payload as { probe?: boolean }).probe === true) send(["done", job.id])
  countCompleted()
})

const shutdown = () => {
  runner.stop().finally(() => process.exit(0))
}
process.once("SIGTERM", shutdown)
process.once("SIGINT", shutdown)
process.once("disconnect", shutdown)

send(["ready"])
await runner.promise
