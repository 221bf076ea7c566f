import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("status --watch", (it) => {
  it.effect("a task run nobody picks up: one line for its state, then --timeout stops waiting with exit 124", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-watch", { idle: [] })
      const runId = /queued (trun_\w+)/.exec((yield* runCli(["queue", "idle", "--url", url])).stdout)![1]!
      const result = yield* runCli(["status", runId, "--watch", "--timeout", "1s", "--poll-interval", "50", "--url", url])
      assert.strictEqual(result.exitCode, 124, result.stderr)
      assert.strictEqual(result.stdout, "")
      assert.strictEqual(
        result.stderr,
        `${runId}: idle pending\n` +
          `stopped waiting after 1s (--timeout): ${runId} is still pending. ${runId} continues on the orchestrator; ` +
          `follow it with: pipeweave status ${runId} --watch --url ${url}`
      )
      const json = yield* runCli(["status", runId, "--watch", "--json", "--timeout", "200ms", "--url", url])
      assert.strictEqual(json.exitCode, 124)
      assert.notInclude(json.stderr, `${runId}: idle pending`, "--json shows no live view")
    }))

  it.effect("--watch on an id that is not a run's, or a run that does not exist, says so", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      const bad = yield* runCli(["status", "nope", "--watch", "--url", url])
      assert.strictEqual(bad.exitCode, 2)
      assert.include(bad.stderr, `"nope" is neither a task run id (trun_…) nor a pipeline run id (prun_…)`)
      const unknown = yield* runCli(["status", "prun_unknown123", "--watch", "--url", url])
      assert.strictEqual(unknown.exitCode, 1)
      assert.include(unknown.stderr, "prun_unknown123")
      assert.include(unknown.stderr, "not found")
    }))
})
