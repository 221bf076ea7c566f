/**
 * The benchmark's PipeWeave worker process: a no-op task, and a 5-stage linear pipeline whose
 * handlers sleep `input.ms`. Over the IPC channel it reports the start (`sharedNow`) of no-op runs
 * whose input says `probe`, when each stage handler of a pipeline run began and ended, and, when
 * asked, when its no-op handlers (probes aside) have returned a number of times, as the
 * graphile-worker process reports its completed jobs.
 */
import { createWorker } from "@pipeweave/sdk"
import { completionCounter, send } from "./childEvents.js"
import { sharedNow } from "./clock.js"

const worker = createWorker({
  orchestratorUrl: process.env["ORCHESTRATOR_URL"]!,
  serviceId: "bench",
  secretKey: process.env["PIPEWEAVE_SECRET_KEY"]!,
  baseUrl: `http://127.0.0.1:${process.env["WORKER_PORT"]}`,
  silent: true
})

const noteReturned = completionCounter()

worker.register("noop", (ctx) => {
  if ((ctx.input as { probe?: boolean }).probe === true) send(["start", ctx.runId, sharedNow()])
  else noteReturned()
  return { ok: true }
})

const STAGES = ["stage-1", "stage-2", "stage-3", "stage-4", "stage-5"]
STAGES.forEach((id, i) => {
  worker.register(id, { allowedNext: STAGES.slice(i + 1, i + 2) }, async (ctx) => {
    const began = sharedNow()
    await new Promise((resolve) => setTimeout(resolve, (ctx.input as { ms: number }).ms))
    send(["stage", ctx.pipelineRunId ?? ctx.runId, i, began, sharedNow()])
    return { stage: id }
  })
})

process.once("disconnect", () => process.exit(0))
await worker.listen(Number(process.env["WORKER_PORT"]), "127.0.0.1")
send(["ready"])
