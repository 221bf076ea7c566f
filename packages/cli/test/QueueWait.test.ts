import { assert, layer } from "@effect/vitest"
import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { Callbacks } from "@pipeweave/orchestrator/flow/Callbacks"
import { TaskRuns } from "@pipeweave/orchestrator/store/TaskRuns"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Effect, Fiber, Schedule } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"

/** Plays the worker: claims the run of `taskId` once the CLI has queued it, then reports `outcome`. */
const settle = (taskId: string, outcome: (runId: string) => Effect.Effect<CallbackPayload, never, StorageBackends>) =>
  Effect.gen(function*() {
    const queue = yield* TaskRuns
    const claimOnce = Effect.map(queue.claim(10, "orch_cli_test"), (runs) => runs.find((claim) => claim.taskId === taskId))
    const claimed = yield* claimOnce.pipe(
      Effect.flatMap((claim) => (claim === undefined ? Effect.fail("not queued yet" as const) : Effect.succeed(claim))),
      Effect.retry({ schedule: Schedule.spaced("20 millis"), while: (reason) => reason === "not queued yet" })
    )
    const payload = yield* outcome(claimed.id)
    yield* (yield* Callbacks).apply(claimed.id, payload)
    return claimed.id
  }).pipe(Effect.orDie)

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("queue --wait", (it) => {
  it.effect("polls until the run completes and prints its output read through /api/storage", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-wait", { render: [] })
      const cli = yield* Effect.fork(
        runCli(["queue", "render", "-i", "{\"page\": 1}", "--wait", "--poll-interval", "20", "--url", url])
      )
      const runId = yield* settle("render", (runId) =>
        Effect.gen(function*() {
          const outputPath = `runs/${runId}/outputs/${runId}.json`
          const body = JSON.stringify({ pages: ["one"], ok: true })
          yield* (yield* StorageBackends).default.put(outputPath, body, "application/json").pipe(Effect.orDie)
          return { status: "success", attempt: 1, outputPath, outputSize: body.length, assets: {} } as const
        }))
      const result = yield* Fiber.join(cli)
      assert.strictEqual(result.exitCode, 0, result.stderr)
      assert.deepStrictEqual(JSON.parse(result.stdout), { pages: ["one"], ok: true })
      assert.include(result.stderr, `queued ${runId}; waiting`)
      assert.include(result.stderr, `${runId}: render completed, attempt 1/4`)
    }))

  it.effect("exits 1 with the run's error when it fails for good; --json prints the run", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-wait-fail", { explode: [] })
      const cli = yield* Effect.fork(
        runCli(["queue", "explode", "--wait", "--json", "--poll-interval", "20", "--url", url])
      )
      const runId = yield* settle("explode", () =>
        Effect.succeed({ status: "failure", attempt: 1, error: "boom", errorCode: "BAD_INPUT", retryable: false } as const))
      const result = yield* Fiber.join(cli)
      assert.strictEqual(result.exitCode, 1)
      assert.strictEqual(result.stderr, `error: ${runId} (explode) failed after 1 attempt(s): [BAD_INPUT] boom`)
      const answer = JSON.parse(result.stdout)
      assert.deepInclude(answer.run, { runId, status: "failed", error: "boom", errorCode: "BAD_INPUT" })
      assert.strictEqual(answer.output, null)
    }))
})
