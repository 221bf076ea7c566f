import { assert, layer } from "@effect/vitest"
import { Callbacks } from "@pipeweave/orchestrator/flow/Callbacks"
import { TaskRuns } from "@pipeweave/orchestrator/store/TaskRuns"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Effect } from "effect"
import { register } from "./support/Registration.js"
import { runCli } from "./support/RunCli.js"
import { orchestratorUrl, testOrchestrator } from "./support/TestOrchestrator.js"

const queued = (url: string, taskId: string) =>
  Effect.map(runCli(["queue", taskId, "--url", url]), (result) => /queued (trun_\w+)/.exec(result.stdout)![1]!)

layer(testOrchestrator(), { timeout: "60 seconds", excludeTestServices: true })("pipeweave logs", (it) => {
  it.effect("prints the stored lines plainly, one attempt with --attempt; refuses bad ids and attempts with a message", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      yield* register("svc-logs", { talk: [] })
      const runId = yield* queued(url, "talk")

      const before = yield* runCli(["logs", runId, "--url", url])
      assert.strictEqual(before.exitCode, 0, before.stderr)
      assert.strictEqual(before.stdout, "")
      assert.strictEqual(before.stderr, `${runId} has no log lines (status pending)`)
      const notYet = yield* runCli(["logs", runId, "--attempt", "1", "--url", url])
      assert.strictEqual(notYet.exitCode, 2)
      assert.strictEqual(notYet.stderr, `error: ${runId} has not started an attempt yet; leave out --attempt`)

      const [claim] = yield* (yield* TaskRuns).claim(10, "orch_cli_test")
      const logsPath = `runs/${runId}/logs/${runId}.jsonl`
      const lines = [
        { ts: "2026-01-01T00:00:00.000Z", level: "info", message: "hello", attempt: 1, who: "Ada" },
        { ts: "2026-01-01T00:00:01.000Z", level: "warn", message: "slow", attempt: 1 }
      ]
      yield* (yield* StorageBackends).default.put(logsPath, lines.map((l) => JSON.stringify(l) + "\n").join(""), "application/x-ndjson")
      yield* (yield* Callbacks).apply(claim!.id, {
        status: "failure",
        attempt: 1,
        error: "no",
        errorCode: "X",
        retryable: false,
        logsPath
      }).pipe(Effect.orDie)

      const all = yield* runCli(["logs", runId, "--url", url])
      assert.strictEqual(all.exitCode, 0, all.stderr)
      assert.strictEqual(
        all.stdout,
        "2026-01-01T00:00:00.000Z INFO  [attempt 1] hello who=Ada\n2026-01-01T00:00:01.000Z WARN  [attempt 1] slow"
      )
      const json = yield* runCli(["logs", runId, "--json", "--url", url])
      assert.deepStrictEqual(json.stdout.split("\n").map((line) => JSON.parse(line)), lines)
      const first = yield* runCli(["logs", runId, "--attempt", "1", "--url", url])
      assert.strictEqual(first.stdout, "2026-01-01T00:00:00.000Z INFO  hello who=Ada\n2026-01-01T00:00:01.000Z WARN  slow")

      for (const [args, code, message] of [
        [["--attempt", "2"], 2, `error: ${runId} has had 1 attempt(s); --attempt must be 1-1`],
        [["--attempt", "0"], 2, ""],
        [["--attempt", "x"], 2, ""]
      ] as const) {
        const result = yield* runCli(["logs", runId, ...args, "--url", url])
        assert.strictEqual(result.exitCode, code, result.stderr)
        if (message !== "") assert.strictEqual(result.stderr, message)
        assert.strictEqual(result.stdout, "")
      }
      const pipelineRun = yield* runCli(["logs", "prun_abc123", "--url", url])
      assert.strictEqual(pipelineRun.exitCode, 2)
      assert.include(pipelineRun.stderr, "logs takes a task run id (trun_…); `pipeweave status prun_abc123` lists")
      const garbage = yield* runCli(["logs", "../../etc/passwd", "--url", url])
      assert.strictEqual(garbage.exitCode, 2)
      assert.include(garbage.stderr, "is not a task run id")
      const unknown = yield* runCli(["logs", "trun_unknown123", "--url", url])
      assert.strictEqual(unknown.exitCode, 1)
      assert.include(unknown.stderr, "no task run trun_unknown123 on this orchestrator")
    }))

  it.effect("status --watch and --wait refuse a malformed --timeout, naming the flag and the format", () =>
    Effect.gen(function*() {
      const url = yield* orchestratorUrl
      for (const args of [["status", "trun_abc", "--watch"], ["queue", "talk", "--wait"], ["trigger", "talk", "--wait"]]) {
        for (const bad of ["5", "0s", "5 minutes", "-1s"]) {
          const result = yield* runCli([...args, "--timeout", bad, "--url", url])
          assert.strictEqual(result.exitCode, 2, `${args.join(" ")} --timeout ${bad}`)
          assert.include(result.stdout + result.stderr, "--timeout must be a number with a unit ms, s, m or h, e.g. 30s, 5m, 1h or 1h30m")
        }
      }
    }))
})
