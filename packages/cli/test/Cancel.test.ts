import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"

const idIn = (pattern: RegExp, text: string): string => {
  const match = pattern.exec(text)
  assert.isNotNull(match, `no id in ${JSON.stringify(text)}`)
  return match![1]!
}

// Serverless: nothing is dispatched, so queued and triggered runs stay pending or waiting.
layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("cancel command", (it) => {
  it.effect("cancels a task run and a pipeline run, idempotently; refuses unknown and malformed ids", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-cancel", { fetch: ["parse"], parse: [] })

      const runId = idIn(/queued (trun_[A-Za-z0-9]+)/, (yield* runCli(["queue", "parse", "--url", url])).stdout)
      const cancelled = yield* runCli(["cancel", runId, "--url", url])
      assert.deepStrictEqual([cancelled.exitCode, cancelled.stdout, cancelled.stderr], [
        0,
        `task run ${runId} (parse): cancelled`,
        ""
      ])
      const again = yield* runCli(["cancel", runId, "--json", "--url", url])
      assert.strictEqual(again.exitCode, 0, again.stderr)
      assert.deepInclude(JSON.parse(again.stdout), { runId, taskId: "parse", status: "cancelled", errorCode: "CANCELLED" })

      const triggered = yield* runCli(["trigger", "fetch", "--url", url])
      const pipelineRunId = idIn(/^started (prun_[A-Za-z0-9]+) /, triggered.stdout)
      const stopped = yield* runCli(["cancel", pipelineRunId, "--url", url])
      assert.deepStrictEqual([stopped.exitCode, stopped.stdout], [
        0,
        `pipeline run ${pipelineRunId} (fetch): cancelled, 2 task run(s) cancelled`
      ])
      const shown = JSON.parse((yield* runCli(["status", pipelineRunId, "--json", "--url", url])).stdout)
      assert.strictEqual(shown.status, "cancelled")
      assert.deepStrictEqual(shown.tasks.map((t: any) => t.status), ["cancelled", "cancelled"])
      assert.strictEqual((yield* runCli(["cancel", pipelineRunId, "--url", url])).exitCode, 0)

      const unknown = yield* runCli(["cancel", "prun_unknown42", "--url", url])
      assert.deepStrictEqual([unknown.exitCode, unknown.stderr], [1, "error: pipeline run 'prun_unknown42' not found"])
      const malformed = yield* runCli(["cancel", "run-42", "--url", url])
      assert.deepStrictEqual([malformed.exitCode, malformed.stderr], [
        2,
        "error: \"run-42\" is neither a task run id (trun_…) nor a pipeline run id (prun_…)"
      ])
    }))
})
