import { SqlClient, SqlSchema } from "@effect/sql"
import type { CodeChange, OwnershipConflict, RegisterRequest, TaskRegistration } from "@pipeweave/domain/Registration"
import { redactUrl } from "@pipeweave/domain/RedactedUrl"
import type { CodeHistoryEntry, ServiceInfo, TaskInfo } from "@pipeweave/domain/Service"
import { Clock, Effect, Option, Schema } from "effect"
import { DbDate, DbInt } from "./Rows.js"
import { TaskRow } from "./TaskRow.js"
import * as Spans from "@pipeweave/domain/Spans"

const ServiceRow = Schema.Struct({
  serviceId: Schema.String,
  version: Schema.String,
  baseUrl: Schema.String,
  registeredAt: DbDate,
  updatedAt: DbDate
})
const InstanceRow = Schema.Struct({
  serviceId: Schema.String,
  baseUrl: Schema.String,
  version: Schema.String,
  registeredAt: DbDate,
  lastSeenAt: DbDate,
  unreachableSince: Schema.NullOr(DbDate)
})
const HistoryRow = Schema.Struct({
  codeVersion: DbInt,
  codeHash: Schema.String,
  serviceVersion: Schema.String,
  recordedAt: DbDate,
  serviceId: Schema.NullOr(Schema.String),
  takenOverFrom: Schema.NullOr(Schema.String)
})

/** A pipeline a worker declared (`worker.pipeline(id, { entry })`). */
export const DeclaredPipeline = Schema.Struct({
  pipelineId: Schema.String,
  serviceId: Schema.String,
  entry: Schema.Array(Schema.String),
  description: Schema.NullOr(Schema.String)
})

/** An active task type and where it routes. */
export const ActiveTask = Schema.Struct({ taskId: Schema.String, serviceId: Schema.String, allowedNext: Schema.Array(Schema.String) })

const CodeRow = Schema.Struct({ codeHash: Schema.String, codeVersion: DbInt, serviceId: Schema.String })
const OwnerRow = Schema.Struct({ kind: Schema.Literal("task", "pipeline"), id: Schema.String, owner: Schema.String })

export const toTaskInfo = (row: TaskRow): TaskInfo => ({
  taskId: row.taskId,
  serviceId: row.serviceId,
  codeHash: row.codeHash,
  codeVersion: row.codeVersion,
  allowedNext: row.allowedNext,
  timeout: row.timeoutSeconds,
  retries: row.retries,
  retryBackoff: row.retryBackoff,
  retryDelayMs: row.retryDelayMs,
  maxRetryDelayMs: row.maxRetryDelayMs,
  heartbeatIntervalMs: row.heartbeatIntervalMs,
  concurrency: row.concurrency,
  priority: row.priority,
  idempotencyTTL: row.idempotencyTtlSeconds,
  hasIdempotencyKey: row.hasIdempotencyKey,
  description: row.description,
  updatedAt: row.updatedAt
})

/** The advisory lock key that serialises registrations (any fixed 64-bit number unique to PipeWeave). */
const REGISTRATIONS_LOCK = 7_262_611_493_001

/**
 * How long one read of the task table answers `tasksById`, and one read of the pipeline catalog a
 * trigger (`PipelineCatalog.find`): another orchestrator's registration shows within this.
 */
export const TASKS_SNAPSHOT_MS = 1000

/** The registry tables: services, their instances, task types with code versions and history, declared pipelines. */
export class Registry extends Effect.Service<Registry>()("@pipeweave/orchestrator/Registry", {
  effect: Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient

    const lockTaskCode = SqlSchema.findOne({
      Request: Schema.String,
      Result: CodeRow,
      execute: (taskId) => sql`SELECT code_hash, code_version, service_id FROM tasks WHERE task_id = ${taskId} FOR UPDATE`
    })

    const upsertTask = (task: TaskRegistration, serviceId: string, serviceVersion: string, now: Date) =>
      Effect.gen(function*() {
        const before = Option.getOrUndefined(yield* lockTaskCode(task.id))
        const takenOverFrom = before !== undefined && before.serviceId !== serviceId ? before.serviceId : null
        const codeVersion = before === undefined
          ? 1
          : before.codeHash === task.codeHash && takenOverFrom === null
          ? before.codeVersion
          : before.codeVersion + 1
        const columns = {
          task_id: task.id,
          service_id: serviceId,
          code_hash: task.codeHash,
          code_version: codeVersion,
          allowed_next: JSON.stringify(task.allowedNext),
          timeout_seconds: task.timeout,
          retries: task.retries,
          retry_backoff: task.retryBackoff,
          retry_delay_ms: task.retryDelayMs,
          max_retry_delay_ms: task.maxRetryDelayMs ?? null,
          heartbeat_interval_ms: task.heartbeatIntervalMs,
          concurrency: task.concurrency,
          priority: task.priority,
          idempotency_ttl_seconds: task.idempotencyTTL ?? null,
          has_idempotency_key: task.hasIdempotencyKey,
          description: task.description ?? null,
          active: true,
          updated_at: now
        }
        if (before === undefined) {
          yield* sql`INSERT INTO tasks ${sql.insert({ ...columns, registered_at: now })}`
        } else {
          yield* sql`UPDATE tasks SET ${sql.update(columns, ["task_id"])} WHERE task_id = ${task.id}`
        }
        if (before === undefined || before.codeHash !== task.codeHash || takenOverFrom !== null) {
          yield* sql`INSERT INTO task_code_history ${
            sql.insert({
              task_id: task.id,
              code_version: codeVersion,
              code_hash: task.codeHash,
              service_version: serviceVersion,
              recorded_at: now,
              service_id: serviceId,
              taken_over_from: takenOverFrom
            })
          }`
        }
        const change: Option.Option<CodeChange> = before !== undefined && before.codeVersion !== codeVersion
          ? Option.some({
            taskId: task.id,
            oldHash: before.codeHash,
            newHash: task.codeHash,
            oldVersion: before.codeVersion,
            newVersion: codeVersion
          })
          : Option.none()
        return { taskId: task.id, codeHash: task.codeHash, codeVersion, change }
      })

    const deactivateMissing = (serviceId: string, keep: ReadonlyArray<string>, now: Date) =>
      sql<{ taskId: string }>`
        UPDATE tasks SET active = false, updated_at = ${now}
        WHERE service_id = ${serviceId} AND active AND NOT (task_id = ANY(${keep as Array<string>}))
        RETURNING task_id`.pipe(Effect.map((rows) => rows.map((r) => r.taskId)))

    const syncPipelines = (request: RegisterRequest, now: Date) =>
      Effect.gen(function*() {
        const ids = request.pipelines.map((p) => p.id)
        yield* sql`DELETE FROM pipelines WHERE service_id = ${request.serviceId} AND NOT (pipeline_id = ANY(${ids}::text[]))`
        for (const pipeline of request.pipelines) {
          yield* sql`
            INSERT INTO pipelines (pipeline_id, service_id, entry, description, registered_at, updated_at)
            VALUES (${pipeline.id}, ${request.serviceId}, ${JSON.stringify(pipeline.entry)}, ${pipeline.description ?? null},
                    ${now}, ${now})
            ON CONFLICT (pipeline_id) DO UPDATE SET service_id = EXCLUDED.service_id, entry = EXCLUDED.entry,
              description = EXCLUDED.description, updated_at = EXCLUDED.updated_at`
        }
      })

    const findOwners = SqlSchema.findAll({
      Request: Schema.Struct({ serviceId: Schema.String, taskIds: Schema.Array(Schema.String), pipelineIds: Schema.Array(Schema.String) }),
      Result: OwnerRow,
      execute: ({ pipelineIds, serviceId, taskIds }) =>
        sql`
          SELECT 'task' AS kind, task_id AS id, service_id AS owner FROM tasks
          WHERE task_id = ANY(${taskIds as Array<string>}::text[]) AND service_id <> ${serviceId}
          UNION ALL
          SELECT 'pipeline' AS kind, pipeline_id AS id, service_id AS owner FROM pipelines
          WHERE pipeline_id = ANY(${pipelineIds as Array<string>}::text[]) AND service_id <> ${serviceId}
          ORDER BY kind DESC, id`
    })

    /** The task and pipeline ids `request` declares that another service registered first. */
    const foreignOwners = (request: RegisterRequest): Effect.Effect<ReadonlyArray<OwnershipConflict>> =>
      findOwners({
        serviceId: request.serviceId,
        taskIds: request.tasks.map((t) => t.id),
        pipelineIds: request.pipelines.map((p) => p.id)
      }).pipe(Effect.orDie)

    const lockServiceVersion = SqlSchema.findOne({
      Request: Schema.String,
      Result: Schema.Struct({ version: Schema.String }),
      execute: (serviceId) => sql`SELECT version FROM services WHERE service_id = ${serviceId} FOR UPDATE`
    })

    /**
     * Upserts the service, this instance, its task types (new code hash: next code version, recorded
     * in the history) and its pipelines. When the service's version changed, task types it no longer
     * registers become inactive; their ids are returned in `removed`. Call it in a transaction.
     */
    /**
     * Serialises registrations until the transaction ends, so two services declaring the same new
     * id one after the other see each other's rows (ownership is decided by who committed first).
     */
    const lockRegistrations = sql`SELECT pg_advisory_xact_lock(${REGISTRATIONS_LOCK})`.pipe(
      Effect.asVoid,
      Effect.orDie,
      Spans.withSpan("Registry.lockRegistrations")
    )

    const register = Spans.fn("Registry.register")(function*(request: RegisterRequest) {
      const now = new Date(yield* Clock.currentTimeMillis)
      const previous = yield* lockServiceVersion(request.serviceId)
      yield* sql`
        INSERT INTO services (service_id, version, base_url, registered_at, updated_at)
        VALUES (${request.serviceId}, ${request.version}, ${request.baseUrl}, ${now}, ${now})
        ON CONFLICT (service_id) DO UPDATE SET version = EXCLUDED.version, base_url = EXCLUDED.base_url,
          updated_at = EXCLUDED.updated_at`
      yield* sql`
        INSERT INTO service_instances (service_id, base_url, version, registered_at, last_seen_at, dispatch_group_max)
        VALUES (${request.serviceId}, ${request.baseUrl}, ${request.version}, ${now}, ${now}, ${request.dispatchGroups ?? null})
        ON CONFLICT (service_id, base_url) DO UPDATE SET version = EXCLUDED.version,
          registered_at = EXCLUDED.registered_at, last_seen_at = EXCLUDED.last_seen_at, unreachable_since = NULL,
          dispatch_group_max = EXCLUDED.dispatch_group_max`
      const tasks = yield* Effect.forEach(request.tasks, (task) =>
        upsertTask(task, request.serviceId, request.version, now))
      yield* syncPipelines(request, now)
      const versionChanged = Option.isSome(previous) && previous.value.version !== request.version
      const removed = versionChanged
        ? yield* deactivateMissing(request.serviceId, request.tasks.map((t) => t.id), now)
        : []
      return { tasks, removed }
    }, Effect.orDie)

    /**
     * Records that `workerUrl` refused a connection; answers how many other instances of its
     * services are still reachable, and since when this one has been down.
     */
    const markUnreachable = Spans.fn("Registry.markUnreachable")(function*(workerUrl: string) {
      const at = new Date(yield* Clock.currentTimeMillis)
      const rows = yield* unreachableMarked({ workerUrl, at })
      return rows[0] ?? { reachable: 0, downSince: at }
    }, Effect.orDie)

    const unreachableMarked = SqlSchema.findAll({
      Request: Schema.Struct({ workerUrl: Schema.String, at: Schema.DateFromSelf }),
      Result: Schema.Struct({ reachable: DbInt, downSince: DbDate }),
      execute: ({ at, workerUrl }) =>
        sql`
          WITH marked AS (
            UPDATE service_instances SET unreachable_since = COALESCE(unreachable_since, ${at})
            WHERE base_url = ${workerUrl}
            RETURNING service_id, unreachable_since
          )
          SELECT
            (SELECT count(*) FROM service_instances i
              WHERE i.service_id IN (SELECT service_id FROM marked) AND i.base_url <> ${workerUrl}
                AND i.unreachable_since IS NULL) AS reachable,
            (SELECT min(unreachable_since) FROM marked) AS down_since
          WHERE EXISTS (SELECT 1 FROM marked)`
    })

    /**
     * An instance said it is leaving: it is marked unreachable (so claims prefer any other instance,
     * and dispatches to it, refused or answered 503, spend no attempt) until it registers again.
     */
    const deregister = Spans.fn("Registry.deregister")(function*(serviceId: string, baseUrl: string) {
      const at = new Date(yield* Clock.currentTimeMillis)
      const rows = yield* sql`
        UPDATE service_instances SET unreachable_since = COALESCE(unreachable_since, ${at})
        WHERE service_id = ${serviceId} AND base_url = ${baseUrl}
        RETURNING base_url`
      return rows.length > 0
    }, Effect.orDie)

    /**
     * Removes the instances unreachable since before `cutoff` and not seen since then either;
     * answers how many went. A reachable instance stays however long it is idle.
     */
    const pruneInstances = Spans.fn("Registry.pruneInstances")(function*(cutoff: Date) {
      const rows = yield* sql`
        DELETE FROM service_instances
        WHERE unreachable_since < ${cutoff} AND last_seen_at < ${cutoff}
        RETURNING base_url`
      return rows.length
    }, Effect.orDie)

    /** Clears the mark of an instance that answered again. */
    const markReachable = Spans.fn("Registry.markReachable")(function*(workerUrl: string) {
      yield* sql`UPDATE service_instances SET unreachable_since = NULL WHERE base_url = ${workerUrl}`
    }, Effect.orDie)

    const allServices = SqlSchema.findAll({
      Request: Schema.Void,
      Result: ServiceRow,
      execute: () => sql`SELECT service_id, version, base_url, registered_at, updated_at FROM services ORDER BY service_id`
    })

    const allInstances = SqlSchema.findAll({
      Request: Schema.Void,
      Result: InstanceRow,
      execute: () => sql`SELECT * FROM service_instances ORDER BY last_seen_at DESC`
    })

    const services = Effect.gen(function*() {
      const rows = yield* allServices()
      const instances = yield* allInstances()
      const tasks = yield* sql<{ taskId: string; serviceId: string }>`
        SELECT task_id, service_id FROM tasks WHERE active ORDER BY task_id`
      return rows.map((row): ServiceInfo => ({
        ...row,
        baseUrl: redactUrl(row.baseUrl),
        instances: instances.filter((i) => i.serviceId === row.serviceId).map(({ serviceId: _, ...i }) => ({
          ...i,
          baseUrl: redactUrl(i.baseUrl)
        })),
        tasks: tasks.filter((t) => t.serviceId === row.serviceId).map((t) => t.taskId)
      }))
    }).pipe(Effect.orDie)

    const activeTasksOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: TaskRow,
      execute: (serviceId) => sql`SELECT * FROM tasks WHERE service_id = ${serviceId} AND active ORDER BY task_id`
    })

    const serviceTasks = (serviceId: string) =>
      Effect.gen(function*() {
        const exists = yield* sql`SELECT 1 FROM services WHERE service_id = ${serviceId}`
        if (exists.length === 0) return Option.none()
        const rows = yield* activeTasksOf(serviceId)
        return Option.some(rows.map(toTaskInfo))
      }).pipe(Effect.orDie)

    const historyOf = SqlSchema.findAll({
      Request: Schema.String,
      Result: HistoryRow,
      execute: (taskId) =>
        sql`SELECT code_version, code_hash, service_version, recorded_at, service_id, taken_over_from FROM task_code_history
            WHERE task_id = ${taskId} ORDER BY code_version DESC`
    })

    const history = (taskId: string) =>
      Effect.gen(function*() {
        const rows = yield* historyOf(taskId)
        return rows.map((r): CodeHistoryEntry => ({
          code_version: r.codeVersion,
          code_hash: r.codeHash,
          service_version: r.serviceVersion,
          recorded_at: r.recordedAt,
          ...(r.serviceId === null ? {} : { service_id: r.serviceId }),
          ...(r.takenOverFrom === null ? {} : { taken_over_from: r.takenOverFrom })
        }))
      }).pipe(Effect.orDie)

    const findAllTasks = SqlSchema.findAll({
      Request: Schema.Void,
      Result: TaskRow,
      execute: () => sql`SELECT * FROM tasks`
    })

    let snapshot: { readonly readAt: number; readonly tasks: ReadonlyMap<string, TaskRow> } | undefined
    const readTasks = Effect.gen(function*() {
      const readAt = yield* Clock.currentTimeMillis
      const rows = yield* findAllTasks()
      snapshot = { readAt, tasks: new Map(rows.map((r) => [r.taskId, r])) }
      return snapshot.tasks
    })

    /**
     * The task types named, from a read of the task table at most `TASKS_SNAPSHOT_MS` old (this
     * process's registrations drop it at once). A name it lacks, or holds as inactive, is looked up
     * again, so a task type registered through another orchestrator is found at once. `reread`
     * reads the table whatever the snapshot's age (before refusing what a stale snapshot forbids).
     */
    const tasksById = (taskIds: ReadonlyArray<string>, reread = false) =>
      Effect.gen(function*() {
        if (taskIds.length === 0) return new Map<string, TaskRow>()
        const now = yield* Clock.currentTimeMillis
        const fresh = !reread && snapshot !== undefined && now - snapshot.readAt < TASKS_SNAPSHOT_MS
          ? snapshot.tasks
          : undefined
        const tasks = fresh !== undefined && taskIds.every((id) => fresh.get(id)?.active === true) ? fresh : yield* readTasks
        const found = new Map<string, TaskRow>()
        for (const id of taskIds) {
          const task = tasks.get(id)
          if (task !== undefined) found.set(id, task)
        }
        return found
      }).pipe(Effect.orDie)

    /** How many times this process's registrations changed task types: a snapshot taken before a change is stale. */
    let changes = 0
    /** Drops the task-table snapshot (after a registration changed task types or declared pipelines). */
    const tasksChanged = Effect.sync(() => {
      snapshot = undefined
      changes++
    })

    const instances = (serviceId: string) =>
      sql<{ baseUrl: string }>`
        SELECT base_url FROM service_instances WHERE service_id = ${serviceId} ORDER BY last_seen_at DESC`.pipe(
        Effect.map((rows) => rows.map((r) => r.baseUrl)),
        Effect.orDie
      )

    const findDeclaredPipelines = SqlSchema.findAll({
      Request: Schema.Void,
      Result: DeclaredPipeline,
      execute: () => sql`SELECT pipeline_id, service_id, entry, description FROM pipelines ORDER BY pipeline_id`
    })

    const declaredPipelines = findDeclaredPipelines().pipe(Effect.orDie)

    const findActiveTasks = SqlSchema.findAll({
      Request: Schema.Void,
      Result: ActiveTask,
      execute: () => sql`SELECT task_id, service_id, allowed_next FROM tasks WHERE active ORDER BY task_id`
    })

    const activeTasks = findActiveTasks().pipe(Effect.orDie)

    return {
      register,
      foreignOwners,
      markUnreachable,
      deregister,
      pruneInstances,
      markReachable,
      services,
      serviceTasks,
      history,
      tasksById,
      tasksChanged,
      /** The count of `tasksChanged` so far. */
      changesSeen: Effect.sync(() => changes),
      instances,
      declaredPipelines,
      activeTasks,
      lockRegistrations
    } as const
  })
}) {}
