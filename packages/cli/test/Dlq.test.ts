import { assert, layer } from "@effect/vitest"
import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { Effect } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"
import { type Settled, withWorker } from "./support/Worker.js"

const boom = { status: "failure", error: "boom", errorCode: "BAD_INPUT", retryable: false } as const

/** Triggers `ingest` and lets it fail for good: one dead letter per call. */
const deadLetter = (url: string, n: number) =>
  Effect.gen(function*() {
    const settled: Array<Settled> = []
    const result = yield* withWorker(
      { ingest: boom },
      runCli(["trigger", "ingest", "-i", JSON.stringify({ n }), "--wait", "--poll-interval", "20", "--url", url]),
      settled
    )
    assert.strictEqual(result.exitCode, 1, result.stderr)
    return settled.find((s) => s.taskId === "ingest")!
  })

const dlqIdOf = (text: string, taskRunId: string): string => {
  const match = new RegExp(`^(dlq_\\w+)\\s+ingest\\s+${taskRunId}\\s`, "m").exec(text)
  assert.isNotNull(match, `no entry for ${taskRunId} in ${JSON.stringify(text)}`)
  return match![1]!
}

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("dlq commands", (it) => {
  it.effect("list, show (by dlq id and by task run id), retry, retry-all and purge", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-dlq", { ingest: ["index"], index: [] })
      const first = yield* deadLetter(url, 1)
      const second = yield* deadLetter(url, 2)

      const listed = yield* runCli(["dlq", "list", "--url", url])
      assert.strictEqual(listed.exitCode, 0, listed.stderr)
      assert.match(listed.stdout, /^DLQ\s+TASK\s+TASK RUN\s+PIPELINE RUN\s+CODE\s+ATTEMPTS\s+FAILED\s+INPUT\s+ERROR$/m)
      const firstId = dlqIdOf(listed.stdout, first.runId)
      const secondId = dlqIdOf(listed.stdout, second.runId)
      assert.match(
        listed.stdout,
        new RegExp(`^${firstId}\\s+ingest\\s+${first.runId}\\s+${first.pipelineRunId}\\s+v1\\s+1\\s+\\d{4}-\\S+\\s+7 B\\s+\\[BAD_INPUT\\] boom$`, "m")
      )
      assert.match(listed.stdout, /^1-2 of 2$/m)
      assert.strictEqual((yield* runCli(["dlq", "list", "--task", "index", "--url", url])).stdout, "No dead letters match.")
      const listedJson = JSON.parse((yield* runCli(["dlq", "list", "--pipeline", "ingest", "--json", "--url", url])).stdout)
      assert.strictEqual(listedJson.total, 2)
      for (const item of listedJson.items) {
        assert.notProperty(item, "input")
        assert.strictEqual(item.inputSize, 7)
        assert.match(item.inputPath, /^pipelines\/prun_\w+\/input\.json$/)
      }

      const shown = yield* runCli(["dlq", "show", firstId, "--url", url])
      assert.strictEqual(shown.exitCode, 0, shown.stderr)
      assert.match(shown.stdout, new RegExp(`^${firstId}$`, "m"))
      assert.match(shown.stdout, new RegExp(`^\\s+task run\\s+${first.runId}$`, "m"))
      assert.match(shown.stdout, new RegExp(`^\\s+pipeline\\s+ingest \\(run ${first.pipelineRunId}, fail-fast, now failed\\)$`, "m"))
      assert.match(shown.stdout, new RegExp(`^\\s+code\\s+v1 ${codeHashOf("ingest")}$`, "m"))
      assert.match(shown.stdout, /^\s+error\s+\[BAD_INPUT\] boom$/m)
      assert.match(shown.stdout, /^\s+retried\s+no$/m)
      assert.match(shown.stdout, /^\s+input size\s+7 B$/m)
      assert.match(shown.stdout, /^input:\n {2}\{\n {4}"n": 1\n {2}\}$/m)
      assert.match(shown.stdout, /^attempt errors:\n\s+#\s+AT\s+ERROR\n\s+1\s+\d{4}-\S+\s+\[BAD_INPUT\] boom$/m)
      const byRun = yield* runCli(["dlq", "show", first.runId, "--url", url])
      assert.deepStrictEqual([byRun.exitCode, byRun.stdout], [0, shown.stdout])
      const unknownRun = yield* runCli(["dlq", "show", "trun_unknown42", "--url", url])
      assert.deepStrictEqual([unknownRun.exitCode, unknownRun.stderr], [
        1,
        "error: task run 'trun_unknown42' is not in the dead letter queue (see pipeweave dlq list --all)"
      ])
      const unknownId = yield* runCli(["dlq", "show", "dlq_unknown42", "--url", url])
      assert.deepStrictEqual([unknownId.exitCode, unknownId.stderr], [1, "error: dead letter 'dlq_unknown42' not found"])

      const retried = yield* runCli(["dlq", "retry", first.runId, "--url", url])
      assert.strictEqual(retried.exitCode, 0, retried.stderr)
      const match = new RegExp(`^retried ${firstId} as (trun_\\w+) \\(queued, code v1\\)$`).exec(retried.stdout)
      assert.isNotNull(match, retried.stdout)
      const again = yield* runCli(["dlq", "retry", firstId, "--url", url])
      assert.deepStrictEqual([again.exitCode, again.stdout, again.stderr], [
        1,
        "",
        `error: dead letter ${firstId} was already retried as ${match![1]}`
      ])

      const open = yield* runCli(["dlq", "list", "--url", url])
      assert.notInclude(open.stdout, firstId)
      assert.match(open.stdout, /^1-1 of 1$/m)
      const all = yield* runCli(["dlq", "list", "--all", "--url", url])
      assert.match(all.stdout, /\s+RETRIED AS\s+ERROR$/m)
      assert.match(all.stdout, new RegExp(`^${firstId}\\s.*\\s${match![1]}\\s+\\[BAD_INPUT\\] boom$`, "m"))
      assert.match(all.stdout, new RegExp(`^${secondId}\\s.*\\s-\\s+\\[BAD_INPUT\\] boom$`, "m"))
      const shownAgain = yield* runCli(["dlq", "show", first.runId, "--url", url])
      assert.match(shownAgain.stdout, new RegExp(`^\\s+retried\\s+as ${match![1]} at \\d{4}-`, "m"))

      const retryAll = yield* runCli(["dlq", "retry-all", "--pipeline", "ingest", "--url", url])
      assert.strictEqual(retryAll.exitCode, 0, retryAll.stderr)
      assert.match(
        retryAll.stdout,
        new RegExp(`^retried 1 dead letter\\(s\\) of pipeline ingest\\nDLQ\\s+NEW RUN\\n${secondId}\\s+trun_\\w+$`)
      )
      const nothing = yield* runCli(["dlq", "retry-all", "--task", "ingest", "--url", url])
      assert.strictEqual(nothing.stdout, "Nothing to retry: no dead letters of task ingest wait for a retry.")

      const kept = yield* runCli(["dlq", "purge", "--older-than", "7d", "--url", url])
      assert.deepStrictEqual([kept.exitCode, kept.stdout], [0, "purged 0 dead letter(s) that failed more than 7d ago"])
      const purged = yield* runCli(["dlq", "purge", "--older-than", "0s", "--json", "--url", url])
      assert.deepStrictEqual(JSON.parse(purged.stdout), { purged: 2 })
      assert.strictEqual((yield* runCli(["dlq", "list", "--all", "--url", url])).stdout, "No dead letters match.")
    }))

  it.effect("a standalone dead letter has no pipeline context", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-dlq-solo", { solo: [] })
      const settled: Array<Settled> = []
      const queued = yield* withWorker(
        { solo: boom },
        runCli(["queue", "solo", "--wait", "--poll-interval", "20", "--url", url]),
        settled
      )
      assert.strictEqual(queued.exitCode, 1)
      const shown = yield* runCli(["dlq", "show", settled.find((s) => s.taskId === "solo")!.runId, "--url", url])
      assert.strictEqual(shown.exitCode, 0, shown.stderr)
      assert.match(shown.stdout, /^\s+pipeline\s+- \(standalone\)$/m)
      assert.match(shown.stdout, /^input:\n {2}\{\}$/m)
    }))

  it.effect("dlq show and status print the TaskError's details", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-dlq-details", { checked: [] })
      const settled: Array<Settled> = []
      const details = { field: "email", reasons: ["missing @"] }
      yield* withWorker(
        { checked: { ...boom, details } },
        runCli(["queue", "checked", "--wait", "--poll-interval", "20", "--url", url]),
        settled
      )
      const runId = settled.find((s) => s.taskId === "checked")!.runId
      const shown = yield* runCli(["dlq", "show", runId, "--url", url])
      assert.strictEqual(shown.exitCode, 0, shown.stderr)
      assert.include(shown.stdout, `error details:\n${JSON.stringify(details, null, 2).replace(/^/gm, "  ")}`)
      const status = yield* runCli(["status", runId, "--url", url])
      assert.include(status.stdout, `attempt 1 error details:\n${JSON.stringify(details, null, 2).replace(/^/gm, "  ")}`)
      const json = JSON.parse((yield* runCli(["status", runId, "--json", "--url", url])).stdout)
      assert.deepStrictEqual(json.attempts[0].errorDetails, details)
    }))
})
