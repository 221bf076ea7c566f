/**
 * `npm start`: the orchestrator on the embedded defaults (PGlite, local storage, a development
 * secret) plus the example worker, then one example task queued through the REST API and its
 * result printed. It keeps serving until Ctrl+C; `npm start -- --once` exits after the example.
 */
import { createServer } from "node:net"
import { Effect, Either, Layer, Option, Redacted } from "effect"
import { makeHelloWorker } from "../examples/hello/worker.js"
import { parseConfig } from "../packages/orchestrator/src/Config.js"
import { server } from "../packages/orchestrator/src/Orchestrator.js"
import { resolveSecret } from "../packages/orchestrator/src/Secret.js"

const once = process.argv.includes("--once")

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0))
    })
  })

const parsed = parseConfig(process.env)
if (Either.isLeft(parsed)) {
  console.error(parsed.left.message)
  process.exit(1)
}
const secret = await Effect.runPromise(resolveSecret(parsed.right))
const settings = { ...parsed.right, secretKey: Option.some(secret) }
const orchestratorUrl = `http://localhost:${settings.port}`

const orchestrator = Effect.runFork(Layer.launch(server(settings)))
orchestrator.addObserver((exit) => {
  if (exit._tag === "Failure") {
    console.error(`[start] the orchestrator stopped: ${String(exit.cause)}`)
    process.exit(1)
  }
})

const waitForHealth = async () => {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${orchestratorUrl}/health`)).ok) return
    } catch {
      // starting
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`the orchestrator did not answer on ${orchestratorUrl}`)
}
await waitForHealth()

const workerPort = await freePort()
const worker = makeHelloWorker({ orchestratorUrl, secretKey: Redacted.value(secret), baseUrl: `http://127.0.0.1:${workerPort}` })
await worker.listen(workerPort, "127.0.0.1")

const post = async (path: string, body: unknown) => {
  const response = await fetch(`${orchestratorUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  return response.json() as Promise<any>
}

const queued = await post("/api/queue/task", { taskId: "greet", input: { name: "PipeWeave" } })
console.log(`\n[start] queued task 'greet' as ${queued.runId}`)
let run: any
for (;;) {
  run = await (await fetch(`${orchestratorUrl}/api/task-runs/${queued.runId}`)).json()
  if (["completed", "failed", "cancelled"].includes(run.status)) break
  await new Promise((resolve) => setTimeout(resolve, 100))
}
if (run.status !== "completed") {
  console.error(`[start] the example task ${run.status}: ${run.error}`)
  process.exit(1)
}
const output = await (await fetch(`${orchestratorUrl}/api/storage/${run.outputPath}`)).json()
console.log(`[start] ${queued.runId} completed in attempt ${run.attempt}; output at ${run.outputPath}:`)
console.log(JSON.stringify(output.content, null, 2))
console.log(`\n[start] API docs:   ${orchestratorUrl}/docs  (OpenAPI at ${orchestratorUrl}/openapi.json)`)
console.log(`[start] data:       ${settings.dataDir}`)

if (once) {
  await worker.stop()
  process.exit(0)
}
console.log("[start] serving; press Ctrl+C to stop")
