/**
 * The worker of the pages' browser tests (a real `@pipeweave/sdk` worker):
 * - pipeline `weave`: ingest → (left ‖ right) → merge. `left` takes a moment and reports
 *   progress, logs and an asset; `right` runs at most 2 at once; `merge` joins both and returns
 *   an output too large to show whole.
 * - `flaky`: fails with a coded TaskError on its first two calls (2 attempts, then the dead letter
 *   queue), succeeds from the third (a retry from the dead letter queue).
 */
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createWorker, TaskError } from "@pipeweave/sdk"

const env = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is required`)
  return value
}

const worker = createWorker({
  orchestratorUrl: env("ORCHESTRATOR_URL"),
  serviceId: "pages-e2e-worker",
  version: "1.0.0",
  secretKey: env("PIPEWEAVE_SECRET_KEY"),
  baseUrl: `http://127.0.0.1:${env("WORKER_PORT")}`,
  // Run dirs under the test run's own temp dir (vitest.tmpdir.ts), not the SDK's default /tmp/pipeweave.
  tempDir: join(tmpdir(), "pages-worker"),
  silent: true
})

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

worker.register("ingest", { allowedNext: ["left", "right"] }, (ctx: any) => ({ doc: ctx.input.doc ?? "none" }))
worker.register("left", { allowedNext: ["merge"] }, async (ctx: any) => {
  ctx.log.info("left starts", { doc: ctx.upstream?.ingest?.doc })
  for (const percent of [25, 50, 75]) {
    await ctx.progress(percent, `step ${percent / 25}`)
    await pause(700)
  }
  await ctx.addAsset("notes", "text", "notes written by left")
  ctx.log.warn("left is done")
  return { side: "left" }
})
worker.register("right", { allowedNext: ["merge"], concurrency: 2 }, () => ({ side: "right" }))
worker.register("merge", {}, (ctx: any) => ({ merged: Object.keys(ctx.upstream ?? {}).sort(), padding: "x".repeat(6000) }))
worker.pipeline("weave", { entry: ["ingest"], description: "Ingest, two branches in parallel, merge" })

let flakyCalls = 0
worker.register("flaky", { retries: 1, retryDelayMs: 100 }, () => {
  flakyCalls += 1
  if (flakyCalls <= 2) {
    throw new TaskError(`upstream unavailable (call ${flakyCalls})`, { code: "UPSTREAM_DOWN", details: { status: 503, call: flakyCalls } })
  }
  return { recovered: true }
})

await worker.listen(Number(env("WORKER_PORT")), "127.0.0.1")
console.log("worker ready")
