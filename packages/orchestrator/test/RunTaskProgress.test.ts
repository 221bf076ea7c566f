import { assert, describe, it } from "@effect/vitest"
import { TaskError } from "@pipeweave/sdk"
import { Effect, Schedule } from "effect"
import { api, awaitRun, serveOrchestrator, serveWorker } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"

/** A promise with its resolver, to hold a handler until the test has looked at the run. */
const gate = () => {
  let open = () => {}
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

const taskOf = (run: any, taskId: string) => run.tasks.find((t: any) => t.taskId === taskId)

/** Polls `GET /api/runs/:id` until `ready` holds for its task `taskId`. */
const awaitTask = (url: string, runId: string, taskId: string, ready: (task: any) => boolean) =>
  api<any>(url, `/api/runs/${runId}`).pipe(
    Effect.map((run) => taskOf(run, taskId)),
    Effect.filterOrFail((task) => task !== undefined && ready(task), (task) => new Error(JSON.stringify(task))),
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo("60 seconds"))),
    Effect.orDie
  )

for (const [name, database] of databases) {
  describe(`GET /api/runs/:id follows each task's attempts (${name})`, () => {
    it.live("progress, attempt number and the last failure, kept after the retry succeeds", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const first = gate()
        const second = gate()
        yield* serveWorker(url, "progress", (w) => {
          w.register("crunch", { retries: 2, retryDelayMs: 100 }, async (ctx: any) => {
            await ctx.progress(40, `page 4 of 10 (attempt ${ctx.attempt})`)
            if (ctx.attempt === 1) {
              await first.opened
              throw new TaskError("upstream busy", { code: "RATE_LIMITED" })
            }
            await second.opened
            return { ok: true }
          })
        })
        const { pipelineRunId } = yield* api(url, "/api/pipelines/crunch/trigger", { input: {} })

        const running = yield* awaitTask(url, pipelineRunId, "crunch", (t) => t.progress !== null)
        assert.deepInclude(running, { status: "running", attempt: 1, maxAttempts: 3, lastFailure: null })
        assert.deepStrictEqual(running.progress, { percent: 40, message: "page 4 of 10 (attempt 1)" })

        first.open()
        const retried = yield* awaitTask(url, pipelineRunId, "crunch", (t) => t.attempt === 2 && t.progress !== null)
        assert.deepStrictEqual(retried.lastFailure, { attempt: 1, error: "upstream busy", errorCode: "RATE_LIMITED" })
        assert.deepStrictEqual(retried.progress, { percent: 40, message: "page 4 of 10 (attempt 2)" })

        second.open()
        const done = taskOf(yield* awaitRun(url, pipelineRunId), "crunch")
        assert.deepInclude(done, { status: "completed", attempt: 2, attempts: 2, error: null, errorCode: null })
        assert.deepStrictEqual(done.lastFailure, { attempt: 1, error: "upstream busy", errorCode: "RATE_LIMITED" })
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
