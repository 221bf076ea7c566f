import type { Statement } from "@effect/sql"

/** The statuses of an attempt in flight: claimed and sent (`dispatching`), or heard from (`running`). */
export const IN_FLIGHT = ["dispatching", "running"] as const

/** The statuses a run never leaves. */
export const FINISHED = ["completed", "failed", "cancelled", "skipped"] as const

/** `status IN ('dispatching', 'running')` for the given column. */
export const inFlight = (sql: Statement.Constructor, column = "status"): Statement.Fragment =>
  sql.literal(`${column} IN ('dispatching', 'running')`)

/** The heartbeat deadline of an attempt last heard from at `at`: 2 × its heartbeat interval later. */
export const heartbeatDeadline = (sql: Statement.Constructor, at: Date, intervalColumn = "heartbeat_interval_ms") =>
  sql`${at}::timestamptz + (2 * ${sql.literal(intervalColumn)}) * interval '1 millisecond'`
