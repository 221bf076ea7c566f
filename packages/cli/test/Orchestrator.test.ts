import { HttpApiClient } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import { assert, layer } from "@effect/vitest"
import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { OrchestratorApi } from "@pipeweave/domain/OrchestratorApi"
import { TriggerRequest } from "@pipeweave/domain/Pipeline"
import { Effect } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"

const queuedId = (text: string): string => {
  const match = /queued (trun_[A-Za-z0-9]+)/.exec(text)
  assert.isNotNull(match, `no run id in ${JSON.stringify(text)}`)
  return match![1]!
}

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("orchestrator commands", (it) => {
  it.effect("services prints a table, task code info with --tasks, and the raw JSON with --json", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-docs", { extract: ["summarize"], summarize: [] })

      const listed = yield* runCli(["services", "--url", url])
      assert.strictEqual(listed.exitCode, 0, listed.stderr)
      assert.match(listed.stdout, /^SERVICE\s+VERSION\s+INSTANCES\s+LAST SEEN\s+TASKS$/m)
      assert.match(listed.stdout, /^svc-docs\s+1\.0\.0\s+1\s+\d{4}-\S+\s+extract, summarize$/m)

      const detailed = yield* runCli(["services", "--tasks"], { PIPEWEAVE_ORCHESTRATOR_URL: url })
      assert.strictEqual(detailed.exitCode, 0, detailed.stderr)
      assert.match(detailed.stdout, new RegExp(`^\\s+extract\\s+v1\\s+${codeHashOf("extract")}\\s+summarize$`, "m"))
      assert.match(detailed.stdout, new RegExp(`^\\s+summarize\\s+v1\\s+${codeHashOf("summarize")}\\s+\\(end\\)$`, "m"))

      const json = yield* runCli(["services", "--tasks", "--json", "--url", url])
      const services = JSON.parse(json.stdout)
      const docs = services.find((s: { serviceId: string }) => s.serviceId === "svc-docs")
      assert.deepStrictEqual(docs.tasks, ["extract", "summarize"])
      assert.strictEqual(typeof docs.registeredAt, "string")
      assert.deepStrictEqual(docs.taskInfo.map((t: { allowedNext: Array<string> }) => t.allowedNext), [["summarize"], []])
    }))

  it.effect("history lists code versions, newest first", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-history", { convert: [] })
      yield* register("svc-history", { convert: [] }, { version: "1.1.0", source: "changed" })
      const result = yield* runCli(["history", "convert", "--url", url])
      assert.strictEqual(result.exitCode, 0, result.stderr)
      const lines = result.stdout.split("\n")
      assert.match(lines[0]!, /^CODE\s+HASH\s+SERVICE VERSION\s+RECORDED$/)
      assert.match(lines[1]!, new RegExp(`^v2\\s+${codeHashOf("convertchanged")}\\s+1\\.1\\.0\\s+\\d{4}-`))
      assert.match(lines[2]!, new RegExp(`^v1\\s+${codeHashOf("convert")}\\s+1\\.0\\.0\\s+\\d{4}-`))
    }))

  it.effect("queue submits a run that status, items and queue-status then show", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-queue", { ingest: [] })
      const queued = yield* runCli(["queue", "ingest", "-i", "{\"doc\": 42}", "--priority", "5", "--url", url])
      assert.strictEqual(queued.exitCode, 0, queued.stderr)
      const runId = queuedId(queued.stdout)
      assert.include(queued.stdout, `input standalone/${runId}/input.json`)

      const status = yield* runCli(["status", runId, "--url", url])
      assert.strictEqual(status.exitCode, 0, status.stderr)
      assert.match(status.stdout, new RegExp(`^${runId}$`, "m"))
      assert.match(status.stdout, /^\s+status\s+pending$/m)
      assert.match(status.stdout, /^\s+task\s+ingest$/m)
      assert.match(status.stdout, /^\s+priority\s+5$/m)
      assert.match(status.stdout, /^\s+attempt\s+0 of 4$/m)
      assert.match(status.stdout, /^\s+output\s+-$/m)
      assert.match(status.stdout, /^attempts: none yet$/m)

      const json = JSON.parse((yield* runCli(["status", runId, "--json", "--url", url])).stdout)
      assert.deepInclude(json, { runId, taskId: "ingest", status: "pending", priority: 5, attempts: [] })

      const items = yield* runCli(["items", "--task", "ingest", "--status", "pending", "--url", url])
      assert.strictEqual(items.exitCode, 0, items.stderr)
      assert.match(items.stdout, new RegExp(`^${runId}\\s+ingest\\s+pending\\s+5\\s+0\\s+`, "m"))
      assert.match(items.stdout, /^1-1 of 1$/m)

      const counts = yield* runCli(["queue-status", "--json", "--url", url])
      assert.isAtLeast(JSON.parse(counts.stdout).pending, 1)
    }))

  it.effect("an unknown task, a bad -i and an unknown run fail with one line on stderr and exit 1", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      const before = JSON.parse((yield* runCli(["queue-status", "--json", "--url", url])).stdout)

      const unknown = yield* runCli(["queue", "no-such-task", "-i", "{}", "--url", url])
      assert.deepStrictEqual([unknown.exitCode, unknown.stdout], [1, ""])
      assert.strictEqual(unknown.stderr, "error: taskId: task 'no-such-task' is not registered by any service")

      const badJson = yield* runCli(["queue", "ingest", "-i", "{\"doc\": ", "--url", url])
      assert.deepStrictEqual([badJson.exitCode, badJson.stdout], [1, ""])
      assert.match(badJson.stderr, /^error: -i\/--input is not valid JSON: .+$/)

      const missing = yield* runCli(["status", "trun_doesnotexist", "--url", url])
      assert.deepStrictEqual([missing.exitCode, missing.stderr], [1, "error: task run 'trun_doesnotexist' not found"])

      const history = yield* runCli(["history", "no-such-task", "--url", url])
      assert.deepStrictEqual([history.exitCode, history.stderr], [1, "error: task 'no-such-task' not found"])

      assert.deepStrictEqual(JSON.parse((yield* runCli(["queue-status", "--json", "--url", url])).stdout), before)
    }))

  it.effect("status of a pipeline run shows the run and its tasks; an unknown one is one line, exit 1", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-flow", { fetch: ["parse"], parse: [] })
      const client = yield* HttpApiClient.make(OrchestratorApi, { baseUrl: url })
      const { pipelineRunId } = yield* client.pipelines.trigger({
        path: { id: "fetch" },
        payload: new TriggerRequest({ input: { url: "https://example.com" } })
      })

      const result = yield* runCli(["status", pipelineRunId, "--url", url])
      assert.strictEqual(result.exitCode, 0, result.stderr)
      assert.match(result.stdout, /^\s+status\s+running$/m)
      assert.match(result.stdout, /^\s+pipeline\s+fetch \(version /m)
      assert.match(result.stdout, /^\s+fetch\s+trun_\w+\s+pending\s+0\s+/m)
      assert.match(result.stdout, /^\s+parse\s+trun_\w+\s+waiting\s+0\s+/m)
      assert.deepInclude(JSON.parse((yield* runCli(["status", pipelineRunId, "--json", "--url", url])).stdout), {
        runId: pipelineRunId,
        pipelineId: "fetch"
      })

      const missing = yield* runCli(["status", "prun_doesnotexist", "--url", url])
      assert.strictEqual(missing.exitCode, 1)
      assert.match(missing.stderr, /^error: .*prun_doesnotexist.* not found$/)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))
})
