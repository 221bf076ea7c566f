import { dirname } from "node:path"
import { PGlite, type PGliteOptions } from "@electric-sql/pglite"
import { Reactivity } from "@effect/experimental"
import { SqlClient } from "@effect/sql"
import type { Connection } from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import { PgClient } from "@effect/sql-pg"
import { Context, Effect, Layer, Stream } from "effect"
import { acquire, type DataDirInUse } from "./DataDirLock.js"
import { quoted } from "./DatabaseSchema.js"
import { ownerOnlyDirectory, tightenTree } from "./OwnerOnly.js"
import { makePreparedQueries } from "./PglitePrepared.js"
import { findTemplate, installTemplate, isInitialised, readTemplate } from "./PgliteTemplate.js"

/** Options of the embedded database: a data directory, or in memory when absent. */
export interface PgliteClientOptions {
  readonly dataDir?: string | undefined
  readonly transformResultNames?: ((name: string) => string) | undefined
  /**
   * PostgreSQL's buffer pool inside the WASM memory, all of it touched at start-up, so it is
   * resident: PGlite's initdb sets 128MB. Misses are served from the OS page cache. Default 16MB.
   */
  readonly sharedBuffers?: string | undefined
  /** The schema every statement runs in (`SET search_path` once opened); PostgreSQL's default when absent. */
  readonly schema?: string | undefined
  /** Who holds the data directory, as a second opener is told (default "pipeweave"). */
  readonly holder?: string | undefined
  /** Runs once the data directory is held, before PGlite opens it. */
  readonly onOpen?: ((kind: OpeningKind) => Effect.Effect<void>) | undefined
}

/** How opening a data directory goes: an existing database, a new one from the template, or initdb. */
export type OpeningKind = "existing" | "template" | "initdb"

/** How opening `dataDir` will go: an existing database, a new one from the template, or initdb. */
export const openingKind = (dataDir: string): OpeningKind =>
  isInitialised(dataDir) ? "existing" : findTemplate() !== undefined ? "template" : "initdb"

const open = async (options: PgliteClientOptions): Promise<PGlite> => {
  const settings: PGliteOptions = {
    startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${options.sharedBuffers ?? "16MB"}`]
  }
  if (options.dataDir === undefined) {
    const template = findTemplate()
    return PGlite.create("memory://", template === undefined ? settings : {
      ...settings,
      loadDataDir: new Blob([readTemplate(template) as Uint8Array<ArrayBuffer>], { type: "application/x-tar" })
    })
  }
  const initdb = !isInitialised(options.dataDir) && !installTemplate(options.dataDir)
  const db = await PGlite.create(options.dataDir, settings)
  if (initdb) tightenTree(options.dataDir)
  return db
}

const fsError = (dataDir: string) => (cause: unknown) =>
  new SqlError({ cause, message: `cannot prepare the embedded database at ${dataDir}: ${errorMessage(cause)}` })

/**
 * Holds `dataDir` (see `DataDirLock`) for the scope and makes it and the directory holding it
 * owner-only, tightening what an earlier version left open, before anything in it is touched.
 */
const hold = (dataDir: string, holder: string) =>
  Effect.gen(function*() {
    const parentWas = yield* Effect.try({ try: () => ownerOnlyDirectory(dirname(dataDir)), catch: fsError(dataDir) })
    yield* acquire(dataDir, { holder }).pipe(
      Effect.catchTag("DataDirLockFailed", (e) => Effect.fail(new SqlError({ cause: e.cause, message: e.message })))
    )
    const dirWas = yield* Effect.try({ try: () => ownerOnlyDirectory(dataDir), catch: fsError(dataDir) })
    const files = dirWas === undefined ? 0 : yield* Effect.try({ try: () => tightenTree(dataDir), catch: fsError(dataDir) })
    for (const [dir, was] of [[dirname(dataDir), parentWas], [dataDir, dirWas]] as const) {
      if (was !== undefined) yield* Effect.logWarning(`Restricted ${dir} to its owner (mode ${was.toString(8)} -> 700)`)
    }
    if (files > 0) yield* Effect.logWarning(`Removed group and other permissions from ${files} entries under ${dataDir}`)
  })

/**
 * The embedded database's one session's name. Its notifications carry it (see
 * `0010_notify_origin.sql`), so the scheduling loop knows them for its own process's changes, which
 * woke it already: nothing else can write to a data dir this process holds.
 */
export const EMBEDDED_SESSION = "pipeweave-embedded"

const PgJson = Statement.custom<Statement.Custom<"PgJson", unknown>>("PgJson")

/**
 * An @effect/sql driver over PGlite (PostgreSQL compiled to WASM, in-process). PGlite is one
 * session, so a one-permit lock is held per statement and for a whole transaction. It satisfies
 * the `PgClient` interface, LISTEN/NOTIFY included, so the repositories run unchanged on both.
 */
export const make = (options: PgliteClientOptions) =>
  Effect.gen(function*() {
    if (options.dataDir !== undefined) {
      yield* hold(options.dataDir, options.holder ?? "pipeweave")
      if (options.onOpen !== undefined) yield* options.onOpen(openingKind(options.dataDir))
    }
    const db = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => open(options),
        catch: (cause) => new SqlError({ cause, message: `cannot open the embedded database at ${options.dataDir}` })
      }),
      (db) => Effect.promise(() => db.close())
    )
    const run = <A>(f: () => Promise<A>) =>
      Effect.tryPromise({ try: f, catch: (cause) => new SqlError({ cause, message: errorMessage(cause) }) })
    if (options.schema !== undefined) yield* run(() => db.exec(`SET search_path TO ${quoted(options.schema!)}`))
    yield* run(() => db.exec(`SET application_name TO '${EMBEDDED_SESSION}'`))
    const transformRows = options.transformResultNames
      ? Statement.defaultTransforms(options.transformResultNames, false).array
      : undefined
    const prepared = makePreparedQueries(db)
    const rowsOf = (sql: string, params: ReadonlyArray<unknown>) => run(() => prepared.query(sql, params))

    const connection: Connection = {
      execute: (sql, params, transform) =>
        Effect.map(rowsOf(sql, params), (rows) => (transform ? transform(rows) : rows)),
      executeRaw: (sql, params) => run(() => db.query(sql, params as Array<unknown>)),
      executeValues: (sql, params) =>
        run(() => prepared.query(sql, params, "array")) as Effect.Effect<ReadonlyArray<ReadonlyArray<unknown>>, SqlError>,
      executeUnprepared: (sql, params, transform) =>
        params.length > 0
          ? connection.execute(sql, params, transform)
          : run(() => db.exec(sql)).pipe(
            Effect.map((results) => results.at(-1)?.rows ?? []),
            Effect.map((rows) => (transform ? transform(rows) : rows))
          ),
      executeStream: (sql, params, transform) =>
        Stream.fromIterableEffect(connection.execute(sql, params, transform))
    }

    const lock = yield* Effect.makeSemaphore(1)
    const acquirer = Effect.as(Effect.acquireRelease(lock.take(1), () => lock.release(1)), connection)
    const client = yield* SqlClient.make({
      acquirer,
      compiler: PgClient.makeCompiler(undefined, false),
      spanAttributes: [["db.system.name", "postgresql"], ["db.driver", "pglite"]],
      transformRows
    })

    const pg: PgClient.PgClient = Object.assign(client, {
      [PgClient.TypeId]: PgClient.TypeId as PgClient.TypeId,
      config: { database: "pglite", applicationName: EMBEDDED_SESSION },
      json: (value: unknown) => PgJson(value, undefined, undefined),
      listen: (channel: string) =>
        Stream.asyncPush<string, SqlError>((emit) =>
          Effect.acquireRelease(
            lock.withPermits(1)(run(() => db.listen(channel, (payload) => emit.single(payload)))),
            (unsubscribe) => Effect.promise(() => unsubscribe())
          )
        ),
      notify: (channel: string, payload: string) => Effect.asVoid(client`SELECT pg_notify(${channel}, ${payload})`)
    })
    return pg
  })

const errorMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : "PGlite query failed")

/** Provides `PgClient` and `SqlClient` backed by PGlite. */
export const layer = (
  options: PgliteClientOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError | DataDirInUse> =>
  Layer.scopedContext(
    Effect.map(make(options), (pg) => Context.make(PgClient.PgClient, pg).pipe(Context.add(SqlClient.SqlClient, pg)))
  ).pipe(Layer.provide(Reactivity.layer))
