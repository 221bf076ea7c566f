import { SqlClient, SqlSchema } from "@effect/sql"
import type { PipelineRunDetail, RunsParams, RunTask } from "@pipeweave/domain/Pipeline"
import type { AttemptFailureSummary } from "@pipeweave/domain/TaskRun"
import { PipelineStructure } from "@pipeweave/domain/pipeline/PipelineStructure"
import { FailureMode } from "@pipeweave/domain/pipeline/Routing"
import { Effect, Option, Schema } from "effect"
import { DbDate, DbDateOrNull, DbInt } from "./Rows.js"
import { RunRow } from "./RunRow.js"

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

/** The latest run of a pipeline. */
export const LastRun = Schema.Struct({ pipelineId: Schema.String, id: Schema.String, status: RunStatus, createdAt: DbDate })

const AttemptCount = Schema.Struct({ runId: Schema.String, attempts: DbInt })

const LastFailure = Schema.Struct({
  runId: Schema.String,
  attempt: DbInt,
  error: Schema.String,
  errorCode: Schema.NullOr(Schema.String)
})

const TaskVersion = Schema.Struct({ taskId: Schema.String, codeVersion: DbInt })

/** The filters of a page of pipeline runs. */
const RunsFilter = Schema.Struct({
  pipelineId: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  since: Schema.optional(Schema.DateFromSelf),
  until: Schema.optional(Schema.DateFromSelf)
})
const RunsPage = Schema.Struct({ ...RunsFilter.fields, limit: Schema.Number, offset: Schema.Number })

const Total = Schema.Struct({ total: DbInt })

const Ids = Schema.Array(Schema.String)

const toRunTask = (
  run: RunRow,
  attempts: number,
  currentVersion: number | null,
  lastFailure: AttemptFailureSummary | null
): RunTask => ({
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
  errorCode: run.errorCode,
  attempt: run.attempt,
  maxAttempts: run.maxAttempts,
  progress: run.progressPercent === null ? null : { percent: run.progressPercent, message: run.progressMessage },
  lastFailure
})

/** Read models over pipeline runs. */
export class PipelineRunReads extends Effect.Service<PipelineRunReads>()("@pipeweave/orchestrator/PipelineRunReads", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const runsWhere = (params: typeof RunsFilter.Encoded) =>
      sql.and([
        ...(params.pipelineId === undefined ? [] : [sql`pipeline_id = ${params.pipelineId}`]),
        ...(params.status === undefined ? [] : [sql`status = ${params.status}`]),
        ...(params.since === undefined ? [] : [sql`created_at >= ${params.since}`]),
        ...(params.until === undefined ? [] : [sql`created_at < ${params.until}`])
      ])

    const countRuns = SqlSchema.single({
      Request: RunsFilter,
      Result: Total,
      execute: (params) => sql`SELECT count(*) AS total FROM pipeline_runs WHERE ${runsWhere(params)}`
    })

    const pageRuns = SqlSchema.findAll({
      Request: RunsPage,
      Result: SummaryRow,
      execute: (params) =>
        sql`SELECT id, pipeline_id, status, failure_mode, pipeline_version, created_at, completed_at
            FROM pipeline_runs WHERE ${runsWhere(params)} ORDER BY created_at DESC, id DESC
            LIMIT ${params.limit} OFFSET ${params.offset}`
    })

    const runs = (params: RunsParams) =>
      Effect.gen(function*() {
        const { total } = yield* countRuns(params)
        const rows = yield* pageRuns(params)
        return {
          items: rows.map(({ id, ...rest }) => ({ runId: id, ...rest })),
          total,
          limit: params.limit,
          offset: params.offset
        }
      }).pipe(Effect.orDie)

    const findDetail = SqlSchema.findOne({
      Request: Schema.String,
      Result: DetailRow,
      execute: (pipelineRunId) => sql`SELECT * FROM pipeline_runs WHERE id = ${pipelineRunId}`
    })

    const taskRunsOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: RunRow,
      execute: (pipelineRunId) =>
        sql`SELECT * FROM task_runs WHERE pipeline_run_id = ${pipelineRunId} ORDER BY created_at, id`
    })

    const attemptCounts = SqlSchema.findAll({
      Request: Ids,
      Result: AttemptCount,
      execute: (runIds) =>
        sql`SELECT run_id, count(*) AS attempts FROM task_run_attempts
            WHERE run_id = ANY(${runIds}::text[]) GROUP BY run_id`
    })

    const lastFailures = SqlSchema.findAll({
      Request: Ids,
      Result: LastFailure,
      execute: (runIds) =>
        sql`SELECT DISTINCT ON (run_id) run_id, attempt, error, error_code FROM task_run_attempts
            WHERE run_id = ANY(${runIds}::text[]) AND error IS NOT NULL
            ORDER BY run_id, attempt DESC`
    })

    const taskVersions = SqlSchema.findAll({
      Request: Ids,
      Result: TaskVersion,
      execute: (taskIds) => sql`SELECT task_id, code_version FROM tasks WHERE task_id = ANY(${taskIds}::text[])`
    })

    const run = (pipelineRunId: string) =>
      Effect.gen(function*() {
        const found = yield* findDetail(pipelineRunId)
        if (Option.isNone(found)) return Option.none<PipelineRunDetail>()
        const row = found.value
        const taskRuns = yield* taskRunsOf(pipelineRunId)
        const attempts = yield* attemptCounts(taskRuns.map((t) => t.id))
        const failures = yield* lastFailures(taskRuns.map((t) => t.id))
        const versions = yield* taskVersions(Object.keys(row.structure.tasks))
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
            const failure = failures.find((f) => f.runId === t.id)
            return [toRunTask(
              t,
              attempts.find((a) => a.runId === t.id)?.attempts ?? 0,
              current ? current.codeVersion : null,
              failure ? { attempt: failure.attempt, error: failure.error, errorCode: failure.errorCode } : null
            )]
          })
        })
      }).pipe(Effect.orDie)

    const findLastRuns = SqlSchema.findAll({
      Request: Schema.Void,
      Result: LastRun,
      execute: () =>
        sql`SELECT DISTINCT ON (pipeline_id) pipeline_id, id, status, created_at FROM pipeline_runs
            ORDER BY pipeline_id, created_at DESC, id DESC`
    })

    const lastRuns = findLastRuns().pipe(Effect.orDie)

    return { runs, run, lastRuns } as const
  })
}) {}
