/**
 * Runs the PDF worker against an orchestrator: `tsx examples/pdf-processing/src/main.ts` with
 * `PIPEWEAVE_SECRET_KEY`, `PIPEWEAVE_ORCHESTRATOR_URL` (default http://localhost:3000), `PORT`
 * (default 8080) and optionally `PIPEWEAVE_BASE_URL` from the environment.
 *
 * @module
 */
import { makePdfWorker } from "./worker.js"

const fail = (error: unknown): never => {
  console.error(error instanceof Error ? error.message : error)
  process.exit(1)
}

const port = Number(process.env["PORT"] ?? 8080)
const worker = (() => {
  try {
    return makePdfWorker({
      orchestratorUrl: process.env["PIPEWEAVE_ORCHESTRATOR_URL"] ?? "http://localhost:3000",
      secretKey: process.env["PIPEWEAVE_SECRET_KEY"] ?? ""
    })
  } catch (error) {
    return fail(error)
  }
})()
let stopping = false
const stop = () => {
  stopping = true
  void worker.stop().then(() => process.exit(0), fail)
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
await worker.listen(port).catch((error: unknown) => stopping || fail(error))
