import { SqlClient } from "@effect/sql"
import type { UpstreamRef } from "@pipeweave/domain/Dispatch"
import type { PipelineRunDetail, RunsParams, RunTask } from "@pipeweave/domain/Pipeline"
import { PipelineStructure, predecessorsOf } from "@pipeweave/domain/pipeline/PipelineStructure"
import { FailureMode } from "@pipeweave/domain/pipeline/Routing"
import { Effect, Option, Schema } from "effect"
import { decodeRunRows, type RunRow } from "../queue/RunRow.js"
import { DbDate, DbDateOrNull, DbInt } from "../Rows.js"

const RunStatus = Schema.Literal("running", "completed", "failed", "partial", "cancelled")

const SummaryRow = Schema.Struct({
  id: Schema.String,
  pipelineId: Schema.String,
  status: RunStatus,
  failureMode: FailureMode,
  pipelineVersion: Schema.String,
  createdAt: DbDate,
  completedAt: DbDateOrNull
})

const DetailRow = Schema.Struct({
  ...SummaryRow.fields,
  structure: PipelineStructure,
  inputPath: Schema.String,
  metadata: Schema.Unknown
})

const AttemptCount = Schema.Struct({ runId: Schema.String, attempts: DbInt })

/** What a pipeline task's dispatch carries beyond the run row: its snapshot edges and completed upstream. */
export interface DispatchContext {
  readonly allowedNext: ReadonlyArray<string>
  readonly upstream: Record<string, UpstreamRef>
}

const toRunTask = (run: RunRow, attempts: number, currentVersion: number | null): RunTask => ({
  taskId: run.taskId,
  taskRunId: run.id,
  status: run.status,
  attempts,
  startedAt: run.startedAt,
  completedAt: run.completedAt,
  durationMs: run.startedAt && run.completedAt ? run.completedAt.getTime() - run.startedAt.getTime() : null,
  outputPath: run.outputPath,
  assets: run.assets,
  codeVersion: run.codeVersion,
  codeHash: run.codeHash,
  currentCodeVersion: currentVersion,
  codeChanged: run.codeVersion !== null && currentVersion !== null && run.codeVersion !== currentVersion,
  error: run.error,
  errorCode: run.errorCode
})

/** Read models over pipeline runs, and the upstream of pipeline tasks being dispatched. */
export class PipelineReads extends Effect.Service<PipelineReads>()("@pipeweave/orchestrator/PipelineReads", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const runs = (params: RunsParams) =>
      Effect.gen(function*() {
        const where = sql.and([
          ...(params.pipelineId === undefined ? [] : [sql`pipeline_id = ${params.pipelineId}`]),
          ...(params.status === undefined ? [] : [sql`status = ${params.status}`]),
          ...(params.since === undefined ? [] : [sql`created_at >= ${params.since}`]),
          ...(params.until === undefined ? [] : [sql`created_at < ${params.until}`])
        ])
        const totals = yield* sql<{ total: number | string }>`SELECT count(*) AS total FROM pipeline_runs WHERE ${where}`
        const rows = yield* Schema.decodeUnknown(Schema.Array(SummaryRow))(
          yield* sql`SELECT id, pipeline_id, status, failure_mode, pipeline_version, created_at, completed_at
                     FROM pipeline_runs WHERE ${where} ORDER BY created_at DESC, id DESC
                     LIMIT ${params.limit} OFFSET ${params.offset}`
        )
        return {
          items: rows.map(({ id, ...rest }) => ({ runId: id, ...rest })),
          total: Number(totals[0]!.total),
          limit: params.limit,
          offset: params.offset
        }
      }).pipe(Effect.orDie)

    const run = (pipelineRunId: string) =>
      Effect.gen(function*() {
        const rows = yield* Schema.decodeUnknown(Schema.Array(DetailRow))(
          yield* sql`SELECT * FROM pipeline_runs WHERE id = ${pipelineRunId}`
        )
        const row = rows[0]
        if (row === undefined) return Option.none<PipelineRunDetail>()
        const taskRuns = yield* decodeRunRows(
          yield* sql`SELECT * FROM task_runs WHERE pipeline_run_id = ${pipelineRunId} ORDER BY created_at, id`
        )
        const attempts = yield* Schema.decodeUnknown(Schema.Array(AttemptCount))(
          yield* sql`SELECT run_id, count(*) AS attempts FROM task_run_attempts
                     WHERE run_id = ANY(${taskRuns.map((t) => t.id)}::text[]) GROUP BY run_id`
        )
        const versions = yield* sql<{ taskId: string; codeVersion: number }>`
          SELECT task_id, code_version FROM tasks WHERE task_id = ANY(${Object.keys(row.structure.tasks)}::text[])`
        const latest = new Map<string, RunRow>()
        for (const t of taskRuns) latest.set(t.taskId, t)
        return Option.some<PipelineRunDetail>({
          runId: row.id,
          pipelineId: row.pipelineId,
          status: row.status,
          failureMode: row.failureMode,
          pipelineVersion: row.pipelineVersion,
          structureSnapshot: row.structure,
          inputPath: row.inputPath,
          metadata: row.metadata,
          createdAt: row.createdAt,
          completedAt: row.completedAt,
          tasks: Object.keys(row.structure.tasks).flatMap((taskId) => {
            const t = latest.get(taskId)
            if (t === undefined) return []
            const current = versions.find((v) => v.taskId === taskId)
            return [toRunTask(t, attempts.find((a) => a.runId === t.id)?.attempts ?? 0, current ? Number(current.codeVersion) : null)]
          })
        })
      }).pipe(Effect.orDie)

    const dispatchContexts = (runs: ReadonlyArray<RunRow>) =>
      Effect.gen(function*() {
        const ids = [...new Set(runs.flatMap((r) => (r.pipelineRunId === null ? [] : [r.pipelineRunId])))]
        const contexts = new Map<string, DispatchContext>()
        if (ids.length === 0) return contexts
        const structures = yield* Schema.decodeUnknown(Schema.Array(Schema.Struct({ id: Schema.String, structure: PipelineStructure })))(
          yield* sql`SELECT id, structure FROM pipeline_runs WHERE id = ANY(${ids}::text[])`
        )
        const completed = yield* decodeRunRows(
          yield* sql`SELECT * FROM task_runs WHERE pipeline_run_id = ANY(${ids}::text[]) AND status = 'completed'`
        )
        for (const run of runs) {
          const structure = structures.find((s) => s.id === run.pipelineRunId)?.structure
          if (structure === undefined) continue
          const upstream: Record<string, UpstreamRef> = {}
          for (const from of predecessorsOf(structure).get(run.taskId) ?? []) {
            const done = completed.find((c) => c.pipelineRunId === run.pipelineRunId && c.taskId === from)
            if (done?.outputPath) upstream[from] = { outputPath: done.outputPath, assets: done.assets }
          }
          contexts.set(run.id, { allowedNext: structure.tasks[run.taskId]?.allowedNext ?? [], upstream })
        }
        return contexts
      }).pipe(Effect.orDie)

    return { runs, run, dispatchContexts } as const
  })
}) {}
