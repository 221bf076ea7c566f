import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { freePort, type Proc, repoRoot, spawnNode, spawnTs, waitForHttp } from "../support/Processes.js"

const SECRET = "5e".repeat(32)
const API_TOKEN = "tok-LOGS-3b9f0c2a7d"
const ACCESS_KEY = "AKIALOGSTESTKEY00042"
const SECRET_ACCESS_KEY = "s3-secret-LOGS-do-not-print-9e1c"

interface LogLine {
  readonly message: string
  readonly logLevel: string
  readonly annotations: Record<string, unknown>
}

/** Everything `proc` wrote to stdout (stderr left out), kept as it arrives. */
const stdoutOf = (proc: Proc) => {
  let text = ""
  proc.child.stdout!.on("data", (chunk) => (text += chunk.toString()))
  return () => text
}

/** Each non-empty line of `text` parsed as JSON; fails naming the first line that is not JSON. */
const jsonLines = (text: string): Array<LogLine> =>
  text.split("\n").filter((line) => line.trim() !== "").map((line) => {
    try {
      return JSON.parse(line) as LogLine
    } catch {
      throw new Error(`not a JSON log line: ${line}`)
    }
  })

const api = <A = any>(url: string, init: RequestInit = {}) =>
  Effect.tryPromise(async () => {
    const response = await fetch(url, {
      ...init,
      headers: { authorization: `Bearer ${API_TOKEN}`, "content-type": "application/json", ...init.headers }
    })
    const body = await response.json()
    if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(body)}`)
    return body as A
  })

const eventually = <A>(what: string, effect: Effect.Effect<A, unknown>, diagnose: () => string) =>
  effect.pipe(
    Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo("90 seconds"))),
    Effect.catchAll((e) => Effect.dieMessage(`${what}: ${String(e)}\n${diagnose()}`))
  )

describe("the orchestrator's logs (LOG_FORMAT=json)", () => {
  it.live("tell a failing run's story as JSON lines with its ids, and never a secret", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const url = `http://127.0.0.1:${port}`
      const orchestrator = yield* spawnNode([join(repoRoot, "packages/orchestrator/dist/orchestrator.mjs")], {
        PORT: String(port),
        HOST: "127.0.0.1",
        MODE: "standalone",
        LOG_FORMAT: "json",
        LOG_LEVEL: "info",
        POLL_INTERVAL_MS: "200",
        PIPEWEAVE_SECRET_KEY: SECRET,
        PIPEWEAVE_API_TOKEN: API_TOKEN,
        PIPEWEAVE_DATA_DIR: mkdtempSync(join(tmpdir(), "pipeweave-logs-")),
        STORAGE_BACKENDS: JSON.stringify([
          { id: "local", provider: "local", credentials: { basePath: mkdtempSync(join(tmpdir(), "pipeweave-logs-storage-")) } },
          {
            id: "archive",
            provider: "aws-s3",
            bucket: "archive",
            region: "us-east-1",
            endpoint: "http://127.0.0.1:9",
            credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_ACCESS_KEY }
          }
        ]),
        DEFAULT_STORAGE_BACKEND_ID: "local"
      })
      const stdout = stdoutOf(orchestrator)
      yield* waitForHttp(`${url}/health`, orchestrator)

      const workerPort = yield* freePort
      const worker = yield* spawnTs(join(repoRoot, "packages/orchestrator/test/e2e/failingWorker.ts"), {
        ORCHESTRATOR_URL: url,
        PIPEWEAVE_SECRET_KEY: SECRET,
        WORKER_PORT: String(workerPort),
        LOG_FORMAT: "json",
        LOG_LEVEL: "info"
      })
      const workerStdout = stdoutOf(worker)
      const diagnose = () => `orchestrator:\n${orchestrator.output()}\nworker:\n${worker.output()}`
      yield* eventually(
        "the worker did not register",
        api<Array<{ serviceId: string }>>(`${url}/api/services`).pipe(
          Effect.filterOrFail((services) => services.some((s) => s.serviceId === "ledger"))
        ),
        diagnose
      )

      const { runId } = yield* api<{ runId: string }>(`${url}/api/queue/task`, {
        method: "POST",
        body: JSON.stringify({ taskId: "always-fails", input: { account: 7 } })
      }).pipe(Effect.orDie)
      const dlq = yield* eventually(
        "the run never reached the dead letter queue",
        api<{ items: Array<{ id: string; taskRunId: string }> }>(`${url}/api/dlq`).pipe(
          Effect.map((page) => page.items.find((item) => item.taskRunId === runId)),
          Effect.filterOrFail((item) => item !== undefined)
        ),
        diagnose
      )
      const about = (line: LogLine) => line.annotations["runId"] === runId
      yield* eventually(
        "no dead-lettered line",
        Effect.sync(() => jsonLines(stdout())).pipe(
          Effect.filterOrFail((lines) => lines.some((l) => about(l) && l.annotations["event"] === "run.dead-lettered"))
        ),
        diagnose
      )

      yield* orchestrator.kill("SIGTERM")
      const lines = jsonLines(stdout())

      const registered = lines.find((l) => l.annotations["event"] === "service.registered")
      assert.isDefined(registered)
      assert.strictEqual(registered!.logLevel, "INFO")
      assert.strictEqual(registered!.annotations["serviceId"], "ledger")
      assert.strictEqual(registered!.annotations["instanceUrl"], `http://127.0.0.1:${workerPort}`)

      const story = lines.filter(about).map((l) => [l.annotations["event"], l.annotations["attempt"], l.logLevel])
      assert.deepStrictEqual(story, [
        ["attempt.failed", 1, "WARN"],
        ["retry.scheduled", 1, "INFO"],
        ["attempt.failed", 2, "WARN"],
        ["run.dead-lettered", 2, "WARN"]
      ])
      const [failed1, retry, , dead] = lines.filter(about)
      assert.strictEqual(failed1!.annotations["errorCode"], "LEDGER_LOCKED")
      assert.strictEqual(failed1!.annotations["taskId"], "always-fails")
      assert.include(failed1!.message, "the ledger is locked")
      assert.strictEqual(retry!.annotations["delayMs"], 300)
      assert.strictEqual(dead!.annotations["dlqId"], dlq!.id)
      assert.strictEqual(dead!.annotations["errorCode"], "LEDGER_LOCKED")
      assert.isTrue(
        lines.findIndex((l) => l === registered) < lines.findIndex((l) => l === failed1),
        "registered before the first failure"
      )
      assert.strictEqual(lines.at(-1)?.message, "orchestrator stopped")
      assert.isFalse(lines.some((l) => l.logLevel === "INFO" && /completed|succeeded/i.test(l.message)))

      // The SDK worker writes the same format.
      const workerLines = jsonLines(workerStdout())
      assert.isTrue(workerLines.some((l) => l.message.startsWith("Worker ledger v1.0.0 on port")), workerStdout())

      const everything = `${orchestrator.output()}\n${worker.output()}`
      for (const secret of [SECRET, API_TOKEN, ACCESS_KEY, SECRET_ACCESS_KEY, "callbackToken", "storageToken"]) {
        assert.notInclude(everything, secret)
      }
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
