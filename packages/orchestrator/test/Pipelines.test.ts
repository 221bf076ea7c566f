import { assert, describe, it } from "@effect/vitest"
import { TaskError } from "@pipeweave/sdk"
import { SqlClient } from "@effect/sql"
import { Context, Effect } from "effect"
import { api, awaitRun, serveOrchestrator, serveWorker } from "./support/InProcess.js"
import { databases } from "./support/TestDatabase.js"

interface Seen {
  readonly task: string
  readonly upstream: ReadonlyArray<string>
  readonly input: unknown
  readonly startedAt: number
  endedAt?: number
}

const recorder = () => {
  const seen: Array<Seen> = []
  const handler = (task: string, result: (ctx: any) => unknown = () => ({ from: task }), delayMs = 0) =>
    async (ctx: any) => {
      const entry: Seen = { task, upstream: Object.keys(ctx.upstream).sort(), input: ctx.input, startedAt: Date.now() }
      seen.push(entry)
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs))
      entry.endedAt = Date.now()
      return result(ctx)
    }
  return { seen, handler, of: (task: string) => seen.filter((s) => s.task === task) }
}

const failureRecorded = async (url: string, pipelineRunId: string, taskId: string) => {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const run: any = await (await fetch(`${url}/api/runs/${pipelineRunId}`)).json()
    if (run.tasks?.some((t: any) => t.taskId === taskId && t.status === "failed")) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`${taskId}'s failure was never recorded in ${pipelineRunId}`)
}

const statuses = (run: any) => Object.fromEntries(run.tasks.map((t: any) => [t.taskId, t.status]))

for (const [name, database] of databases) {
  describe(`pipelines over real HTTP workers (${name})`, () => {
    it.live("linear, split and join: entry input everywhere, upstream holds exactly the completed predecessors", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const r = recorder()
        yield* serveWorker(url, "shapes", (w) => {
          w.register("lin-a", { allowedNext: ["lin-b"] }, r.handler("lin-a"))
          w.register("lin-b", { allowedNext: ["lin-c"] }, r.handler("lin-b", (ctx) => ({ got: ctx.upstream["lin-a"] })))
          w.register("lin-c", {}, r.handler("lin-c"))
          w.register("jn-a", { allowedNext: ["jn-b", "jn-c"] }, r.handler("jn-a"))
          w.register("jn-b", { allowedNext: ["jn-d"] }, r.handler("jn-b", undefined, 150))
          w.register("jn-c", { allowedNext: ["jn-d"] }, r.handler("jn-c", undefined, 10))
          w.register("jn-d", {}, r.handler("jn-d", (ctx) => ({ joined: Object.keys(ctx.upstream).sort() })))
        })
        const linear = yield* api(url, "/api/pipelines/lin-a/trigger", { input: { doc: 7 } })
        assert.strictEqual(linear.status, "running")
        assert.strictEqual(linear.inputPath, `pipelines/${linear.pipelineRunId}/input.json`)
        const join = yield* api(url, "/api/pipelines/jn-a/trigger", { input: { doc: 8 } })
        const done = yield* awaitRun(url, linear.pipelineRunId)
        assert.strictEqual(done.status, "completed")
        assert.deepStrictEqual(r.seen.filter((s) => s.task.startsWith("lin")).map((s) => [s.task, s.upstream, s.input]), [
          ["lin-a", [], { doc: 7 }],
          ["lin-b", ["lin-a"], { doc: 7 }],
          ["lin-c", ["lin-b"], { doc: 7 }]
        ])
        const b = done.tasks.find((t: any) => t.taskId === "lin-b")
        const stored = yield* api(url, `/api/storage/${b.outputPath}`)
        assert.deepStrictEqual(stored.content, { got: { from: "lin-a" } })
        const joined = yield* awaitRun(url, join.pipelineRunId)
        assert.strictEqual(joined.status, "completed")
        const [d] = r.of("jn-d")
        assert.deepStrictEqual(d!.upstream, ["jn-b", "jn-c"])
        assert.isAtLeast(d!.startedAt, Math.max(r.of("jn-b")[0]!.endedAt!, r.of("jn-c")[0]!.endedAt!))
        assert.strictEqual(r.of("jn-d").length, 1)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("the spec's complex DAG with a dynamic skip: the join runs with the branch missing from ctx.upstream", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const r = recorder()
        yield* serveWorker(url, "docs", (w) => {
          w.register("download", { allowedNext: ["extract-text", "extract-tables"] }, r.handler("download", (ctx) =>
            ({ output: { size: 1 }, runNext: ctx.input.tables ? ["extract-text", "extract-tables"] : ["extract-text"] })))
          w.register("extract-text", { allowedNext: ["summarize"] }, r.handler("extract-text"))
          w.register("extract-tables", { allowedNext: ["summarize"], concurrency: 2 }, r.handler("extract-tables"))
          w.register("summarize", { allowedNext: ["notify", "archive"] }, r.handler("summarize", (ctx) => ({ saw: Object.keys(ctx.upstream).sort() })))
          w.register("notify", {}, r.handler("notify"))
          w.register("archive", {}, r.handler("archive"))
          w.pipeline("pdf", { entry: ["download"] })
        })
        const pipelines = yield* api(url, "/api/pipelines")
        const pdf = pipelines.find((p: any) => p.id === "pdf")
        assert.strictEqual(pdf.declared, true)
        assert.deepStrictEqual(pdf.entry, ["download"])
        assert.strictEqual(pdf.edges.length, 6)
        assert.match(pdf.version, /^[0-9a-f]{12}$/)
        const plan = yield* api(url, "/api/pipelines/pdf/dry-run", {})
        assert.deepStrictEqual(plan.lines, [
          "1. download (entry)",
          "2. extract-text, extract-tables (parallel)",
          "3. summarize (join, waits for: extract-text, extract-tables)",
          "4. notify, archive (parallel, end)"
        ])
        assert.deepStrictEqual(plan.warnings, ["Task 'extract-tables' has concurrency limit of 2"])
        const full = yield* awaitRun(url, (yield* api(url, "/api/pipelines/pdf/trigger", { input: { tables: true } })).pipelineRunId)
        assert.strictEqual(full.status, "completed")
        assert.deepStrictEqual(r.of("summarize")[0]!.upstream, ["extract-tables", "extract-text"])
        const skip = yield* awaitRun(url, (yield* api(url, "/api/pipelines/pdf/trigger", { input: { tables: false } })).pipelineRunId)
        assert.strictEqual(skip.status, "completed")
        assert.deepStrictEqual(statuses(skip), {
          download: "completed",
          "extract-text": "completed",
          "extract-tables": "skipped",
          summarize: "completed",
          notify: "completed",
          archive: "completed"
        })
        assert.deepStrictEqual(r.of("summarize")[1]!.upstream, ["extract-text"])
        assert.strictEqual(full.pipelineVersion, pdf.version)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("failure modes: fail-fast cancels, continue skips the merge, partial-merge merges what completed", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const r = recorder()
        yield* serveWorker(url, "modes", (w) => {
          w.register("fm-a", { allowedNext: ["fm-ok", "fm-bad"] }, r.handler("fm-a"))
          // fm-ok ends only once the orchestrator has recorded fm-bad's failure, so every mode sees a
          // sibling still running when the failure lands, however loaded the machine is.
          w.register("fm-ok", { allowedNext: ["fm-merge"] }, async (ctx: any) => {
            await failureRecorded(url, ctx.pipelineRunId, "fm-bad")
            return r.handler("fm-ok")(ctx)
          })
          w.register("fm-bad", { allowedNext: ["fm-merge"] }, async () => {
            throw new TaskError("broken input", { code: "BAD", retryable: false })
          })
          w.register("fm-merge", {}, r.handler("fm-merge"))
        })
        const trigger = (failureMode: string) =>
          Effect.flatMap(api(url, "/api/pipelines/fm-a/trigger", { input: {}, failureMode }), (t) => awaitRun(url, t.pipelineRunId))
        const failFast = yield* trigger("fail-fast")
        assert.strictEqual(failFast.status, "failed")
        assert.deepStrictEqual(statuses(failFast), { "fm-a": "completed", "fm-ok": "cancelled", "fm-bad": "failed", "fm-merge": "cancelled" })
        const cont = yield* trigger("continue")
        assert.strictEqual(cont.status, "failed")
        assert.deepStrictEqual(statuses(cont), { "fm-a": "completed", "fm-ok": "completed", "fm-bad": "failed", "fm-merge": "skipped" })
        const partial = yield* trigger("partial-merge")
        assert.strictEqual(partial.status, "partial")
        assert.deepStrictEqual(statuses(partial), { "fm-a": "completed", "fm-ok": "completed", "fm-bad": "failed", "fm-merge": "completed" })
        assert.deepStrictEqual(r.of("fm-merge").map((s) => s.upstream), [["fm-ok"]])
        const bad = partial.tasks.find((t: any) => t.taskId === "fm-bad")
        assert.strictEqual(bad.errorCode, "BAD")
        assert.strictEqual(bad.attempts, 1)
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a run in flight keeps its snapshot when the service re-registers a new structure", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const r = recorder()
        let release: () => void = () => {}
        const gate = new Promise<void>((resolve) => (release = resolve))
        yield* serveWorker(url, "versions", (w) => {
          w.register("vr-a", { allowedNext: ["vr-b"] }, async () => {
            await gate
            return { v: 1 }
          })
          w.register("vr-b", {}, r.handler("vr-b"))
        })
        const first = yield* api(url, "/api/pipelines/vr-a/trigger", { input: {} })
        yield* serveWorker(url, "versions", (w) => {
          w.register("vr-a", { allowedNext: ["vr-x"] }, async () => {
            await gate
            return { v: 1 }
          })
          w.register("vr-b", {}, r.handler("vr-b"))
          w.register("vr-x", {}, r.handler("vr-x"))
        }, "2.0.0")
        const second = yield* api(url, "/api/pipelines/vr-a/trigger", { input: {} })
        release()
        const one = yield* awaitRun(url, first.pipelineRunId)
        const two = yield* awaitRun(url, second.pipelineRunId)
        assert.deepStrictEqual(statuses(one), { "vr-a": "completed", "vr-b": "completed" })
        assert.deepStrictEqual(statuses(two), { "vr-a": "completed", "vr-x": "completed" })
        assert.notStrictEqual(one.pipelineVersion, two.pipelineVersion)
        assert.deepStrictEqual(one.structureSnapshot.tasks["vr-a"], { allowedNext: ["vr-b"] })
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("a completed task's successor is claimed in the transaction that records the completion", () =>
      Effect.gen(function*() {
        const { context, url } = yield* serveOrchestrator(database())
        let release: () => void = () => {}
        const released = new Promise<void>((resolve) => {
          release = resolve
        })
        let nextStarted = false
        yield* serveWorker(url, "inline-claims", (w) => {
          w.register("ic-a", { allowedNext: ["ic-b"] }, () => ({ from: "a" }))
          w.register("ic-b", {}, async () => {
            nextStarted = true
            await released
            return { from: "b" }
          })
        })
        yield* Effect.addFinalizer(() => Effect.sync(release))
        const { pipelineRunId } = yield* api(url, "/api/pipelines/ic-a/trigger", { input: {} })
        yield* Effect.promise(async () => {
          for (const deadline = Date.now() + 60_000; !nextStarted && Date.now() < deadline;) {
            await new Promise((resolve) => setTimeout(resolve, 10))
          }
        })
        assert.isTrue(nextStarted, "ic-b never started")
        const sql = Context.get(context, SqlClient.SqlClient)
        const [row] = yield* sql<{ completedIn: string; claimedIn: string }>`
          SELECT r.xmin::text AS completed_in,
            (SELECT a.xmin::text FROM task_run_attempts a JOIN task_runs s ON s.id = a.run_id
             WHERE s.pipeline_run_id = r.pipeline_run_id AND s.task_id = 'ic-b' AND a.attempt = 1) AS claimed_in
          FROM task_runs r WHERE r.pipeline_run_id = ${pipelineRunId} AND r.task_id = 'ic-a'`.pipe(Effect.orDie)
        assert.strictEqual(row?.claimedIn, row?.completedIn)
        release()
        assert.strictEqual((yield* awaitRun(url, pipelineRunId)).status, "completed")
      }).pipe(Effect.scoped), { timeout: 120_000 })

    it.live("one entry → 100 parallel tasks → one join", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const r = recorder()
        const fan = Array.from({ length: 100 }, (_, i) => `fan-${i}`)
        yield* serveWorker(url, "fan", (w) => {
          w.register("fan-src", { allowedNext: fan }, r.handler("fan-src"))
          for (const id of fan) w.register(id, { allowedNext: ["fan-join"] }, r.handler(id, () => ({ i: Number(id.slice(4)) })))
          w.register("fan-join", {}, r.handler("fan-join", (ctx) => ({
            sum: Object.values(ctx.upstream as Record<string, { i: number }>).reduce((s, o) => s + o.i, 0)
          })))
        })
        const run = yield* awaitRun(url, (yield* api(url, "/api/pipelines/fan-src/trigger", { input: {} })).pipelineRunId, 120)
        assert.strictEqual(run.status, "completed")
        assert.strictEqual(run.tasks.length, 102)
        assert.strictEqual(r.of("fan-join").length, 1)
        assert.strictEqual(r.of("fan-join")[0]!.upstream.length, 100)
        const join = run.tasks.find((t: any) => t.taskId === "fan-join")
        assert.deepStrictEqual((yield* api(url, `/api/storage/${join.outputPath}`)).content, { sum: 4950 })
      }).pipe(Effect.scoped), { timeout: 180_000 })

    it.live("standalone runs never start successors; bad triggers are refused", () =>
      Effect.gen(function*() {
        const { url } = yield* serveOrchestrator(database())
        const r = recorder()
        yield* serveWorker(url, "alone", (w) => {
          w.register("st-a", { allowedNext: ["st-b"] }, r.handler("st-a"))
          w.register("st-b", {}, r.handler("st-b"))
          w.register("broken", { allowedNext: ["unregistered"] }, r.handler("broken"))
        })
        const queued = yield* api(url, "/api/queue/task", { taskId: "st-a", input: {} })
        for (let i = 0; i < 200; i++) {
          if ((yield* api(url, `/api/task-runs/${queued.runId}`)).status === "completed") break
          yield* Effect.sleep("50 millis")
        }
        assert.strictEqual((yield* api(url, `/api/task-runs/${queued.runId}`)).status, "completed")
        const items = yield* api(url, "/api/queue/items?taskId=st-b")
        assert.strictEqual(items.total, 0)
        const refused = (path: string) =>
          api(url, path, { input: {} }).pipe(Effect.as("accepted"), Effect.catchAllDefect((e) => Effect.succeed(String((e as { error?: unknown }).error ?? e))))
        const unknown = yield* refused("/api/pipelines/nope/trigger")
        assert.match(String(unknown), /404/)
        const invalid = yield* refused("/api/pipelines/broken/trigger")
        assert.match(String(invalid), /400.*unregistered/)
        const dry = yield* api(url, "/api/pipelines/broken/dry-run", {})
        assert.strictEqual(dry.valid, false)
        assert.deepStrictEqual(dry.problems, ["task 'broken' lists 'unregistered' in allowedNext, but no service registers it"])
        assert.strictEqual((yield* api(url, "/api/runs?pipelineId=broken")).total, 0)
      }).pipe(Effect.scoped), { timeout: 120_000 })
  })
}
