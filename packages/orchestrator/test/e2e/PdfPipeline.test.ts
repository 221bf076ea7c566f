import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { memoUrl, quarterlyReportUrl } from "@pipeweave/example-pdf-processing/samples"
import { makePdfWorker } from "@pipeweave/example-pdf-processing/worker"
import { Effect } from "effect"
import { freePort } from "../support/Processes.js"
import { api, awaitRun, serveOrchestrator } from "../support/InProcess.js"
import { databases } from "../support/TestDatabase.js"
import { TEST_SECRET } from "../support/TestOrchestrator.js"

const servePdfWorker = (orchestratorUrl: string) =>
  Effect.acquireRelease(
    Effect.gen(function*() {
      const port = yield* freePort
      // Its run dirs under the test run's own temp dir (vitest.tmpdir.ts), not the SDK's default /tmp/pipeweave.
      const tempDir = join(tmpdir(), "pdf-worker")
      const worker = makePdfWorker({ orchestratorUrl, secretKey: TEST_SECRET, baseUrl: `http://127.0.0.1:${port}`, silent: true, tempDir })
      yield* Effect.promise(() => worker.listen(port, "127.0.0.1"))
      return worker
    }),
    (worker) => Effect.promise(() => worker.stop())
  )

for (const [name, database] of databases) {
  describe(`the PDF processing demo (${name})`, () => {
    it.live("downloads, extracts text and tables, and summarizes a shipped PDF; skips tables when asked", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        yield* servePdfWorker(url)
        const full = yield* api(url, "/api/pipelines/pdf-processing/trigger", { input: { pdfUrl: quarterlyReportUrl } })
        const run = yield* awaitRun(url, full.pipelineRunId, 120)
        assert.strictEqual(run.status, "completed", JSON.stringify(run.tasks))
        assert.deepStrictEqual(run.tasks.map((t: any) => [t.taskId, t.status]), [
          ["download", "completed"],
          ["extract-text", "completed"],
          ["extract-tables", "completed"],
          ["summarize", "completed"]
        ])
        const download = run.tasks.find((t: any) => t.taskId === "download")
        assert.strictEqual(download.assets["pdf-file"].type, "binary")
        const pdf = yield* api(url, `/api/storage/${download.assets["pdf-file"].path}`)
        assert.strictEqual(Buffer.from(pdf.content, "base64").subarray(0, 5).toString(), "%PDF-")
        const tables = yield* api(url, `/api/storage/${run.tasks.find((t: any) => t.taskId === "extract-tables").outputPath}`)
        assert.isAtLeast(tables.content.count, 1)
        const summary = yield* api(url, `/api/storage/${run.tasks.find((t: any) => t.taskId === "summarize").outputPath}`)
        assert.strictEqual(summary.content.tablesIncluded, true)
        assert.isAbove(summary.content.wordCount, 50)

        const textOnly = yield* api(url, "/api/pipelines/pdf-processing/trigger", { input: { pdfUrl: memoUrl, extractTables: false } })
        const memo = yield* awaitRun(url, textOnly.pipelineRunId, 120)
        assert.strictEqual(memo.status, "completed")
        assert.strictEqual(memo.tasks.find((t: any) => t.taskId === "extract-tables").status, "skipped")
        const memoSummary = yield* api(url, `/api/storage/${memo.tasks.find((t: any) => t.taskId === "summarize").outputPath}`)
        assert.strictEqual(memoSummary.content.tablesIncluded, false)
      }).pipe(Effect.scoped), { timeout: 180_000 })
  })
}
