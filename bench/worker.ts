/**
 * The benchmark's PipeWeave worker process: a no-op task, and a 5-stage linear pipeline whose
 * handlers sleep `input.ms`. Over the IPC channel it reports the start (`sharedNow`) of no-op runs
 * whose input says `probe`, when each stage handler of a pipeline run began and ended (once the
 * run's last handler has ended), and, when asked, when its no-op handlers (probes aside) have
 * returned a number of times, as the graphile-worker process reports its completed jobs.
 */
import { createWorker } from "@pipeweave/sdk"
import { type ChildMessage, completionCounter, send } from "./childEvents.js"
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
/** How long after a pipeline run's last handler ended its spans are reported: its last callback has been answered by then. */
const REPORT_AFTER_MS = 10
/** Per pipeline run, the spans of its stage handlers that have ended, not reported yet. */
const unreported = new Map<string, Array<ChildMessage>>()

/**
 * The stage handlers report their spans only once the run's last one has ended, not each as it
 * returns: a report sent there was on the path the bench measures (between a handler's end and its
 * callback), and writing it woke the bench process, which took the worker's core from it (~0.25 ms
 * per edge, measured in interleaved runs).
 */
STAGES.forEach((id, i) => {
  worker.register(id, { allowedNext: STAGES.slice(i + 1, i + 2) }, async (ctx) => {
    const began = sharedNow()
    await new Promise((resolve) => setTimeout(resolve, (ctx.input as { ms: number }).ms))
    const key = ctx.pipelineRunId ?? ctx.runId
    const spans = unreported.get(key) ?? []
    spans.push(["stage", key, i, began, sharedNow()])
    unreported.set(key, spans)
    if (i === STAGES.length - 1) {
      unreported.delete(key)
      setTimeout(() => spans.forEach(send), REPORT_AFTER_MS)
    }
    return { stage: id }
  })
})

process.once("disconnect", () => process.exit(0))
await worker.listen(Number(process.env["WORKER_PORT"]), "127.0.0.1")
send(["ready"])
