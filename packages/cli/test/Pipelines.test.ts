import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"

/** The spec's complex DAG: download → extract-text/extract-tables → summarize → notify/archive. */
const registerPdf = register("svc-pdf", {
  download: ["extract-text", "extract-tables"],
  "extract-text": ["summarize"],
  "extract-tables": { allowedNext: ["summarize"], concurrency: 2 },
  summarize: ["notify", "archive"],
  notify: [],
  archive: []
}, { pipelines: [{ id: "my-pipeline", entry: ["download"] }] })

const registerBroken = register("svc-broken", { lonely: [] }, { pipelines: [{ id: "broken", entry: ["ghost"] }] })

const startedId = (text: string): string => {
  const match = /^started (prun_[A-Za-z0-9]+) /.exec(text)
  assert.isNotNull(match, `no run id in ${JSON.stringify(text)}`)
  return match![1]!
}

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("pipeline commands", (it) => {
  it.effect("dry-run prints the spec's plan for the complex DAG, byte for byte", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* registerPdf
      const result = yield* runCli(["dry-run", "my-pipeline", "-i", "{\"key\": \"value\"}", "--url", url])
      assert.deepStrictEqual([result.exitCode, result.stderr], [0, ""])
      assert.strictEqual(
        result.stdout,
        [
          "✓ Pipeline 'my-pipeline' validated",
          "",
          "Execution plan:",
          "  1. download (entry)",
          "  2. extract-text, extract-tables (parallel)",
          "  3. summarize (join, waits for: extract-text, extract-tables)",
          "  4. notify, archive (parallel, end)",
          "",
          "Warnings:",
          "  - Task 'extract-tables' has concurrency limit of 2"
        ].join("\n")
      )
      const json = JSON.parse((yield* runCli(["dry-run", "my-pipeline", "--json", "--url", url])).stdout)
      assert.deepInclude(json, { pipelineId: "my-pipeline", valid: true, problems: [] })
      assert.strictEqual(json.plan.length, 4)
    }))

  it.effect("dry-run of an invalid pipeline prints its problems and exits 1; an unknown one is one error line", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* registerBroken
      const invalid = yield* runCli(["dry-run", "broken", "--url", url])
      assert.deepStrictEqual([invalid.exitCode, invalid.stderr], [1, ""])
      assert.strictEqual(invalid.stdout, "✗ Pipeline 'broken' is invalid\n\nProblems:\n  - entry task 'ghost' is not registered")

      const unknown = yield* runCli(["dry-run", "nope", "--url", url])
      assert.deepStrictEqual([unknown.exitCode, unknown.stdout, unknown.stderr], [1, "", "error: pipeline 'nope' not found"])

      const badInput = yield* runCli(["dry-run", "broken", "-i", "{", "--url", url])
      assert.strictEqual(badInput.exitCode, 1)
      assert.match(badInput.stderr, /^error: -i\/--input is not valid JSON: /)
    }))

  it.effect("trigger prints the run; status, runs and pipelines then show it", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* registerPdf
      yield* registerBroken
      const triggered = yield* runCli([
        "trigger", "my-pipeline", "-i", "{\"key\": \"value\"}", "--failure-mode", "continue", "--priority", "7", "--url", url
      ])
      assert.deepStrictEqual([triggered.exitCode, triggered.stderr], [0, ""])
      const runId = startedId(triggered.stdout)
      assert.match(
        triggered.stdout,
        new RegExp(`^started ${runId} \\(pipeline my-pipeline, version (\\S+), input pipelines/${runId}/input\\.json\\)$`)
      )
      const version = /version (\S+),/.exec(triggered.stdout)![1]!

      const other = yield* runCli(["trigger", "lonely", "--json", "--url", url])
      assert.strictEqual(other.exitCode, 0, other.stderr)
      const otherRun = JSON.parse(other.stdout)
      assert.deepInclude(otherRun, { status: "running" })

      const status = yield* runCli(["status", runId, "--url", url])
      assert.strictEqual(status.exitCode, 0, status.stderr)
      assert.match(status.stdout, /^\s+failure mode\s+continue$/m)
      assert.match(status.stdout, /^\s+download\s+trun_\w+\s+pending\s+0\s+/m)

      const runs = yield* runCli(["runs", "--pipeline", "my-pipeline", "--url", url])
      assert.strictEqual(runs.exitCode, 0, runs.stderr)
      const lines = runs.stdout.split("\n")
      assert.match(lines[0]!, /^RUN\s+PIPELINE\s+STATUS\s+FAILURE MODE\s+VERSION\s+CREATED\s+TOOK$/)
      assert.match(lines[1]!, new RegExp(`^${runId}\\s+my-pipeline\\s+running\\s+continue\\s+${version}\\s+\\d{4}-\\S+\\s+-$`))
      assert.strictEqual(lines[2], "1-1 of 1")
      assert.notInclude(runs.stdout, otherRun.pipelineRunId)

      const all = JSON.parse((yield* runCli(["runs", "--status", "running", "--json", "--url", url])).stdout)
      assert.includeMembers(all.items.map((r: { runId: string }) => r.runId), [runId, otherRun.pipelineRunId])
      const none = yield* runCli(["runs", "--pipeline", "my-pipeline", "--status", "completed", "--url", url])
      assert.strictEqual(none.stdout, "No pipeline runs match.")

      const pipelines = yield* runCli(["pipelines", "--url", url])
      assert.strictEqual(pipelines.exitCode, 0, pipelines.stderr)
      assert.match(pipelines.stdout, /^PIPELINE\s+KIND\s+ENTRY\s+VERSION\s+TASKS\s+LAST RUN$/m)
      assert.match(pipelines.stdout, new RegExp(`^my-pipeline\\s+declared\\s+download\\s+${version}\\s+6\\s+running ${runId} `, "m"))
      assert.match(pipelines.stdout, /^download\s+implicit\s+download\s+\S+\s+6\s+-$/m)
      assert.match(pipelines.stdout, /^broken\s+declared\s+ghost\s+\(invalid\)\s+0\s+-$/m)
      assert.match(pipelines.stdout, /\n\nProblems:\n {2}- broken: entry task 'ghost' is not registered$/)
      const listed = JSON.parse((yield* runCli(["pipelines", "--json", "--url", url])).stdout)
      assert.deepInclude(listed.find((p: { id: string }) => p.id === "my-pipeline"), { declared: true, entry: ["download"] })
    }))

  it.effect("trigger of an unknown or invalid pipeline, or with bad -i, is one error line and exit 1", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* registerBroken
      const unknown = yield* runCli(["trigger", "nope", "--url", url])
      assert.deepStrictEqual([unknown.exitCode, unknown.stdout, unknown.stderr], [1, "", "error: pipeline 'nope' not found"])
      const invalid = yield* runCli(["trigger", "broken", "--url", url])
      assert.deepStrictEqual([invalid.exitCode, invalid.stdout], [1, ""])
      assert.match(invalid.stderr, /^error: .*ghost.*$/)
      const badJson = yield* runCli(["trigger", "lonely", "-i", "[1,", "--url", url])
      assert.deepStrictEqual([badJson.exitCode, badJson.stdout], [1, ""])
      assert.match(badJson.stderr, /^error: -i\/--input is not valid JSON: /)
    }))
})
