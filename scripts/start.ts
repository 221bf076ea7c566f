/**
 * `npm start`: the orchestrator on the embedded defaults (PGlite, local storage, a development
 * secret) plus the PDF processing worker of `examples/pdf-processing`; triggers the
 * `pdf-processing` pipeline on a shipped PDF through the REST API, then prints the summary and
 * the run's task timeline. It keeps serving until Ctrl+C; `npm start -- --once` exits after it.
 */
import { createServer } from "node:net"
import { quarterlyReportUrl } from "@pipeweave/example-pdf-processing/samples"
import { makePdfWorker } from "@pipeweave/example-pdf-processing/worker"
import { Cause, Effect, Either, Option, Redacted } from "effect"
import { parseConfig } from "../packages/orchestrator/src/Config.js"
import { siteDir } from "../packages/orchestrator/src/http/SiteHttp.js"
import { launch } from "../packages/orchestrator/src/Orchestrator.js"
import { resolveSecret } from "../packages/orchestrator/src/Secret.js"
import { printSummary, printTimeline } from "./printRun.js"

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

const parsed = parseConfig(process.env, process.stdout.isTTY === true)
if (Either.isLeft(parsed)) {
  console.error(parsed.left.message)
  process.exit(1)
}
const secret = await Effect.runPromise(resolveSecret(parsed.right))
const settings = { ...parsed.right, secretKey: Option.some(secret) }
const orchestratorUrl = `http://localhost:${settings.port}`

const orchestrator = Effect.runFork(launch(settings))
orchestrator.addObserver((exit) => {
  if (exit._tag === "Failure") {
    const failure = Cause.failureOption(exit.cause)
    console.error(Option.isSome(failure) ? failure.value.message : `[start] the orchestrator stopped: ${String(exit.cause)}`)
    process.exit(1)
  }
})

const get = async (path: string): Promise<any> => (await fetch(`${orchestratorUrl}${path}`)).json()
const post = async (path: string, body: unknown): Promise<any> => {
  const response = await fetch(`${orchestratorUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body)
  })
  const json = await response.json()
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${orchestratorUrl}/health`)).ok) break
  } catch {
    if (i > 600) throw new Error(`the orchestrator did not answer on ${orchestratorUrl}`)
  }
  await new Promise((resolve) => setTimeout(resolve, 100))
}

const workerPort = await freePort()
const worker = makePdfWorker({ orchestratorUrl, secretKey: Redacted.value(secret), baseUrl: `http://127.0.0.1:${workerPort}` })
await worker.listen(workerPort, "127.0.0.1")

const plan = await post("/api/pipelines/pdf-processing/dry-run", {})
console.log(`\n[start] pipeline 'pdf-processing' (version ${plan.pipelineVersion}):`)
for (const line of plan.lines) console.log(`  ${line}`)

const triggered = await post("/api/pipelines/pdf-processing/trigger", { input: { pdfUrl: quarterlyReportUrl } })
console.log(`\n[start] triggered ${triggered.pipelineRunId} on ${quarterlyReportUrl}`)
let run: any
for (;;) {
  run = await get(`/api/runs/${triggered.pipelineRunId}`)
  if (run.status !== "running") break
  await new Promise((resolve) => setTimeout(resolve, 100))
}
if (run.status !== "completed") {
  console.error(`[start] the run ended ${run.status}:`)
  for (const task of run.tasks) console.error(`  ${task.taskId}: ${task.status} ${task.error ?? ""}`)
  process.exit(1)
}
const summary = await get(`/api/storage/${run.tasks.find((t: any) => t.taskId === "summarize").outputPath}`)
printSummary(summary.content)
printTimeline(run)
console.log(`\n[start] API docs:   ${orchestratorUrl}/docs  (OpenAPI at ${orchestratorUrl}/openapi.json)`)
console.log(`[start] this run:   ${orchestratorUrl}/api/runs/${run.runId}`)
console.log(Option.isSome(siteDir())
  ? `[start] site:       ${orchestratorUrl}/ui/runs/${run.runId}`
  : `[start] site:       \`npm run build\` builds the monitoring site, served at ${orchestratorUrl}/ui/`)
console.log(`[start] data:       ${settings.dataDir}`)

if (once) {
  await worker.stop()
  process.exit(0)
}
console.log("[start] serving; press Ctrl+C to stop")
