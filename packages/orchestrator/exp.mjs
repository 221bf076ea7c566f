import pg from "pg"
import { readFileSync } from "node:fs"
import { randomUUID } from "node:crypto"
const stmt = readFileSync("/work/scratch/stmt.sql", "utf8")
const c = new pg.Client({ connectionString: "postgres://postgres@127.0.0.1:5432/pwexp" })
await c.connect()
await c.query("SET search_path = pipeweave")
const label = process.argv[2] ?? "base"
const run = async (name) => {
  const lat = []
  for (let i = 0; i < 500; i++) {
    const now = new Date()
    const rows = JSON.stringify([{ ord: 0, id: randomUUID(), task_id: "noop", pipeline_run_id: null, status: "pending", priority: 0, max_attempts: 3, storage_backend: "local", input_path: "x/input", input_inline: '{"probe":true}', metadata: null, traceparent: null }])
    const s = performance.now()
    const r = await c.query({ name, text: stmt, values: [rows, now, 10, now, now, "orch-1", now, now, now, now] })
    lat.push(performance.now() - s)
    if (r.rows.length !== 1) throw new Error("not claimed")
    await c.query("UPDATE task_runs SET status = 'completed' WHERE status = 'dispatching'")
    await new Promise((r) => setTimeout(r, 2))
  }
  lat.sort((a, b) => a - b); console.log(label, "p50", lat[250].toFixed(3), "p90", lat[450].toFixed(3))
}
await run("s1")
await c.end()
