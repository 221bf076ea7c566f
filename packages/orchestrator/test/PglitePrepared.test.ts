import { PGlite } from "@electric-sql/pglite"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makePreparedQueries } from "../src/sql/PglitePrepared.js"

let db: PGlite

beforeAll(async () => {
  db = await PGlite.create()
  await db.exec(`
    CREATE TABLE items (id text PRIMARY KEY, n int8, tags text[], doc jsonb, at timestamptz, note text);
    INSERT INTO items VALUES
      ('a', 1, '{x,y}', '{"k":1}', '2026-12-01T10:00:00Z', NULL),
      ('b', 2, '{}', '[1,2]', '2026-12-01T11:00:00Z', 'two');`)
})

afterAll(() => db.close())

const prepared = async () =>
  (await db.query<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements")).rows

describe("prepared queries on PGlite", () => {
  it("from its second run a statement is named; every run returns what db.query returns, typed alike", async () => {
    const { query } = makePreparedQueries(db)
    const text = "SELECT id, n, tags, doc, at, note, count(*) OVER () AS total FROM items WHERE id = ANY($1::text[]) ORDER BY id"
    const expected = (await db.query(text, [["a", "b"]])).rows
    expect(await query(text, [["a", "b"]])).toEqual(expected)
    expect((await prepared()).map((p) => p.statement)).not.toContain(text)
    const second = await query(text, [["a", "b"]])
    expect(second).toEqual(expected)
    expect((await prepared()).map((p) => p.statement)).toContain(text)
    expect(await query(text, [["b"]])).toEqual((await db.query(text, [["b"]])).rows)
    expect(second[0]).toMatchObject({ n: 1, tags: ["x", "y"], doc: { k: 1 }, at: new Date("2026-12-01T10:00:00Z"), total: 2 })
  })

  it("parameters of every type are bound as db.query binds them, null included", async () => {
    const { query } = makePreparedQueries(db)
    const text = "SELECT $1::timestamptz AS at, $2::int AS n, $3::jsonb AS doc, $4::text AS note, $5::text[] AS tags"
    const params = [new Date("2026-12-01T12:34:56.789Z"), 42, JSON.stringify({ a: [1, null] }), null, ["p", "q r"]]
    for (let i = 0; i < 3; i++) expect(await query(text, params)).toEqual((await db.query(text, params)).rows)
  })

  it("returns rows as arrays when asked", async () => {
    const { query } = makePreparedQueries(db)
    const text = "SELECT id, n FROM items ORDER BY id"
    await query(text, [], "array")
    expect(await query(text, [], "array")).toEqual([["a", 1], ["b", 2]])
  })

  it("a prepared statement that fails throws PostgreSQL's error and leaves the session usable", async () => {
    const { query } = makePreparedQueries(db)
    const text = "INSERT INTO items (id, n) VALUES ($1, $2) RETURNING id"
    await query(text, ["c", 3])
    await query(text, ["d", 4])
    await expect(query(text, ["d", 5])).rejects.toMatchObject({ code: "23505" })
    expect(await query("SELECT count(*) AS n FROM items WHERE id IN ('c', 'd')", [])).toEqual([{ n: 2 }])
    await db.exec("BEGIN")
    await expect(query(text, ["c", 6])).rejects.toMatchObject({ code: "23505" })
    await expect(query(text, ["e", 7])).rejects.toMatchObject({ code: "25P02" })
    await db.exec("ROLLBACK")
    expect(await query(text, ["e", 7])).toEqual([{ id: "e" }])
  })

  it("notifications raised by a prepared statement still reach the session's listeners", async () => {
    const { query } = makePreparedQueries(db)
    const heard: Array<string> = []
    const unlisten = await db.listen("prepared_probe", (payload) => heard.push(payload))
    const text = "SELECT pg_notify('prepared_probe', $1)"
    for (const payload of ["one", "two", "three"]) await query(text, [payload])
    for (let i = 0; i < 50 && heard.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10))
    await unlisten()
    expect(heard).toEqual(["one", "two", "three"])
  })
})
