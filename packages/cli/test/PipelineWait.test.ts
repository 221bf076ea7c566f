import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"
import { withWorker } from "./support/Worker.js"

const waiting = (text: string): string => {
  const match = /^started (prun_[A-Za-z0-9]+) .*; waiting for it to finish/m.exec(text)
  assert.isNotNull(match, `no run id in ${JSON.stringify(text)}`)
  return match![1]!
}

const wait = (pipeline: string, url: string, ...more: ReadonlyArray<string>) =>
  runCli(["trigger", pipeline, "--wait", "--poll-interval", "20", "--url", url, ...more])

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("trigger --wait", (it) => {
  it.effect("polls until the run completes, prints each task's status, duration and code, exits 0", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-flow", { fetch: ["parse"], parse: [] })
      const result = yield* withWorker({}, wait("fetch", url, "-i", "{\"url\": \"https://example.com\"}"))
      assert.strictEqual(result.exitCode, 0, result.stderr)
      const runId = waiting(result.stderr)
      assert.include(result.stderr, `${runId}: fetch completed`)
      assert.include(result.stderr, `${runId}: parse completed`)
      assert.match(result.stdout, new RegExp(`^${runId}\\n\\s+status\\s+completed\\n`))
      assert.match(result.stdout, /^\s+finished\s+\d{4}-\S+ \(took \S+\)$/m)
      assert.match(result.stdout, /^\s+TASK\s+RUN\s+STATUS\s+ATTEMPTS\s+CODE\s+DURATION\s+OUTPUT \/ ERROR$/m)
      assert.match(result.stdout, new RegExp(`^\\s+fetch\\s+trun_\\w+\\s+completed\\s+1\\s+v1\\s+\\d+ms\\s+runs/${runId}/outputs/`, "m"))
      assert.match(result.stdout, /^\s+parse\s+trun_\w+\s+completed\s+1\s+v1\s+\d+ms\s+/m)

      yield* register("svc-flow", { fetch: ["parse"], parse: [] }, { version: "1.1.0", source: "changed" })
      const later = yield* runCli(["status", runId, "--url", url])
      assert.match(later.stdout, /^\s+fetch\s+trun_\w+\s+completed\s+1\s+v1, code changed \(now v2\)\s+/m)
    }))

  it.effect("a failed run prints the failing task and exits 1; --json prints the run", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-bad", { load: ["store"], store: [] })
      const failure = { status: "failure", error: "boom", errorCode: "BAD_INPUT", retryable: false } as const
      const result = yield* withWorker({ load: failure }, wait("load", url))
      assert.strictEqual(result.exitCode, 1)
      const runId = waiting(result.stderr)
      assert.match(result.stdout, /^\s+status\s+failed$/m)
      assert.match(result.stdout, /^\s+load\s+trun_\w+\s+failed\s+1\s+v1\s+\d+ms\s+\[BAD_INPUT\] boom$/m)
      assert.match(result.stdout, /^\s+store\s+(-|trun_\w+)\s+(skipped|cancelled|waiting)\s+0\s+/m)
      assert.match(
        result.stderr.split("\n").at(-1)!,
        new RegExp(`^error: pipeline run ${runId} failed: load \\(trun_\\w+\\): \\[BAD_INPUT\\] boom$`)
      )

      const json = yield* withWorker({ load: failure }, wait("load", url, "--json"))
      assert.strictEqual(json.exitCode, 1)
      const run = JSON.parse(json.stdout)
      assert.deepInclude(run, { pipelineId: "load", status: "failed" })
      assert.match(json.stderr, /^error: pipeline run prun_\w+ failed: load /)
      assert.notInclude(json.stderr, "waiting for it")
    }))

  it.effect("a partial-merge run that lost a branch exits 3", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-split", { split: ["left", "right"], left: [], right: [] })
      const failure = { status: "failure", error: "no luck", retryable: false } as const
      const result = yield* withWorker({ right: failure }, wait("split", url, "--failure-mode", "partial-merge"))
      assert.strictEqual(result.exitCode, 3, result.stderr)
      const runId = waiting(result.stderr)
      assert.match(result.stdout, /^\s+status\s+partial$/m)
      assert.match(result.stdout, /^\s+left\s+trun_\w+\s+completed\s+/m)
      assert.match(
        result.stderr.split("\n").at(-1)!,
        new RegExp(`^error: pipeline run ${runId} ended partial: right \\(trun_\\w+\\): no luck$`)
      )
    }))
})
