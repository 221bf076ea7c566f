import { type PGlite, types } from "@electric-sql/pglite"
import { serialize } from "pg-protocol"
import { makeStatementNames } from "./StatementNames.js"

/** A statement parsed under a name in the PGlite session: its parameter types and result columns. */
interface Prepared {
  readonly name: string
  readonly parameterTypes: ReadonlyArray<number>
  readonly fields: ReadonlyArray<{ readonly name: string; readonly dataTypeID: number }>
}

type RowMode = "object" | "array"

/** Instances made in this process: each names its statements apart, should two share a session. */
let instances = 0

interface BackendMessage {
  readonly name: string
  readonly dataTypeIDs?: ReadonlyArray<number>
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly dataTypeID: number } | string | null>
}

/**
 * Queries on a PGlite session that parse and plan the statements run more than once only once,
 * as `PreparingPool` does for PostgreSQL: `db.query` sends every statement unnamed, so PGlite
 * parses and plans it on every call (most of an embedded claim's cost). A named statement is
 * described once; each run then binds, executes and syncs in one protocol exchange, and its rows
 * are parsed with the session's own type parsers, exactly as `db.query` would return them.
 */
export const makePreparedQueries = (db: PGlite) => {
  const nameOf = makeStatementNames(`pipeweave_q${instances++}`)
  const prepared = new Map<string, Prepared>()

  const prepare = async (name: string, text: string): Promise<Prepared> => {
    const { messages } = await db.execProtocol(
      Buffer.concat([serialize.parse({ name, text, types: [] }), serialize.describe({ type: "S", name }), serialize.sync()])
    ) as { messages: ReadonlyArray<BackendMessage> }
    const parameters = messages.find((m) => m.name === "parameterDescription")
    const rows = messages.find((m) => m.name === "rowDescription")
    return {
      name,
      parameterTypes: parameters?.dataTypeIDs ?? [],
      fields: (rows?.fields ?? []) as Prepared["fields"]
    }
  }

  const serializeParameter = (value: unknown, type: number | undefined): string | null => {
    if (value === null || value === undefined) return null
    const serializer = type === undefined ? undefined : db.serializers[type]
    return serializer ? serializer(value) : String(value)
  }

  const run = async (statement: Prepared, params: ReadonlyArray<unknown>, rowMode: RowMode) => {
    const values = params.map((value, i) => serializeParameter(value, statement.parameterTypes[i]))
    const { messages } = await db.execProtocol(
      Buffer.concat([serialize.bind({ statement: statement.name, values }), serialize.execute({}), serialize.sync()])
    ) as { messages: ReadonlyArray<BackendMessage> }
    const rows: Array<object> = []
    for (const message of messages) {
      if (message.name !== "dataRow") continue
      const cells = message.fields as ReadonlyArray<string | null>
      const parsed = statement.fields.map((field, i) => types.parseType(cells[i] ?? null, field.dataTypeID, db.parsers))
      rows.push(rowMode === "array" ? parsed : Object.fromEntries(statement.fields.map((field, i) => [field.name, parsed[i]])))
    }
    return rows
  }

  /** The rows of `text` with `params`, as objects or as arrays. */
  const query = async (text: string, params: ReadonlyArray<unknown>, rowMode: RowMode = "object"): Promise<Array<object>> => {
    let statement = prepared.get(text)
    if (statement === undefined) {
      const name = nameOf(text)
      if (name === undefined) return (await db.query<object>(text, params as Array<unknown>, { rowMode })).rows
      statement = await prepare(name, text)
      prepared.set(text, statement)
    }
    return run(statement, params, rowMode)
  }

  return { query } as const
}
