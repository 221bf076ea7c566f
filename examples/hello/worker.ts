/**
 * The smallest PipeWeave worker: one task that greets whoever its input names.
 * Run it against an orchestrator with `tsx examples/hello/worker.ts` (PIPEWEAVE_SECRET_KEY,
 * PIPEWEAVE_ORCHESTRATOR_URL and PORT from the environment).
 */
import { createWorker } from "@pipeweave/sdk"

export const makeHelloWorker = (config: { orchestratorUrl: string; secretKey: string; baseUrl?: string }) => {
  const worker = createWorker({ serviceId: "hello", version: "1.0.0", ...config })
  worker.register(
    "greet",
    { description: "Greets the name in its input", timeout: 30, heartbeatIntervalMs: 5000 },
    async (ctx) => {
      const { name = "world" } = ctx.input as { name?: string }
      ctx.log.info(`greeting ${name} (code v${ctx.codeVersion}, ${ctx.codeHash})`)
      await ctx.progress(100, "greeted")
      return { greeting: `Hello, ${name}!`, at: new Date().toISOString() }
    }
  )
  return worker
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const port = Number(process.env["PORT"] ?? 8080)
  const worker = makeHelloWorker({
    orchestratorUrl: process.env["PIPEWEAVE_ORCHESTRATOR_URL"] ?? "http://localhost:3000",
    secretKey: process.env["PIPEWEAVE_SECRET_KEY"] ?? ""
  })
  await worker.listen(port)
}
