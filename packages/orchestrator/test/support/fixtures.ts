import { codeHashOf } from "@pipeweave/domain/CodeHash"
import { RegisterRequest, type TaskRegistration } from "@pipeweave/domain/Registration"
import { SqlClient } from "@effect/sql"
import { Effect, Schema } from "effect"

/** A registration task with the spec's defaults, overridable per field. */
export const taskSpec = (id: string, options: Partial<typeof TaskRegistration.Encoded> = {}): TaskRegistration =>
  Schema.decodeUnknownSync(
    Schema.Struct({ tasks: Schema.Array(Schema.Unknown) }).pipe(() => RegisterRequest)
  )({ serviceId: "svc", baseUrl: "http://127.0.0.1:1", tasks: [{ id, codeHash: codeHashOf(id), ...options }] }).tasks[0]!

/** A decoded registration request. */
export const registration = (
  serviceId: string,
  tasks: ReadonlyArray<typeof TaskRegistration.Encoded>,
  extra: { version?: string; baseUrl?: string; dispatchGroups?: number } = {}
): RegisterRequest =>
  Schema.decodeUnknownSync(RegisterRequest)({
    serviceId,
    version: extra.version ?? "1.0.0",
    baseUrl: extra.baseUrl ?? "http://127.0.0.1:9",
    tasks,
    ...(extra.dispatchGroups === undefined ? {} : { dispatchGroups: extra.dispatchGroups })
  })

export const task = (id: string, options: Record<string, unknown> = {}, source = id) => ({
  id,
  codeHash: codeHashOf(source),
  ...options
})

/**
 * Registers service `serviceId` (unreachable base URL) with task types `taskId → concurrency`
 * (0: unlimited) by SQL, for store tests that write `task_runs` directly.
 */
export const registerTasksBySql = (serviceId: string, concurrencies: Readonly<Record<string, number>>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.zipRight(
      sql`INSERT INTO services (service_id, version, base_url, registered_at, updated_at)
          VALUES (${serviceId}, '1.0.0', 'http://127.0.0.1:1', now(), now())`,
      Effect.forEach(Object.entries(concurrencies), ([taskId, concurrency]) =>
        sql`INSERT INTO tasks (task_id, service_id, code_hash, code_version, allowed_next, timeout_seconds, retries,
              retry_backoff, retry_delay_ms, heartbeat_interval_ms, concurrency, priority, has_idempotency_key,
              registered_at, updated_at)
            VALUES (${taskId}, ${serviceId}, 'h', 1, '[]', 60, 0, 'fixed', 1000, 5000, ${concurrency}, 0, false, now(), now())`, {
        discard: true
      })
    ))

/** The body of a standalone run's first attempt's success callback, at the paths its dispatch gave it. */
export const successCallback = (runId: string) => ({
  status: "success",
  attempt: 1,
  outputPath: `runs/${runId}/outputs/${runId}.json`,
  outputSize: 2,
  assets: {},
  logsPath: `runs/${runId}/logs/${runId}.jsonl`
})
