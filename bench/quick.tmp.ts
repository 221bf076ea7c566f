import { readFileSync } from "node:fs"
import { execFileSync } from "node:child_process"
import { get, post, sleep, startOrchestrator, startWorker } from "./harness.js"
const N = Number(process.env.N ?? 1000)
const db = `pw_quick_${process.pid}`
const pg = process.env.PG === "1"
if (pg) execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-qc", `CREATE DATABASE ${db}`])
const env: Record<string, string> = { INLINE_PAYLOAD_BYTES: process.env.INLINE ?? "0" }
if (pg) env.DATABASE_URL = `postgres://postgres@127.0.0.1:5432/${db}`
const o = await startOrchestrator(env, process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])
const w = await startWorker(o.url)
let pid0 = 0
try {
  const port = new URL(o.url).port
  const pid = Number(/pid=(\d+)/.exec(execFileSync("ss", ["-ltnpH", `sport = :${port}`]).toString())![1])
  const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10 }
  pid0 = pid
  const c0 = cpu(); const t0 = performance.now()
  for (let s = 0; s < N; s += 500) await post(`${o.url}/api/queue/batch`, { tasks: Array.from({ length: Math.min(500, N - s) }, (_, i) => ({ taskId: "noop", input: { n: s + i } })) })
  for (;;) { const st = await get<any>(`${o.url}/api/queue/status`); if (st.completed >= N) break; if (st.failed > 0) throw new Error("failed " + JSON.stringify(st)); await sleep(20) }
  const dt = performance.now() - t0; const c1 = cpu()
  console.log(JSON.stringify({ pg, tasksPerSec: (N / (dt / 1000)).toFixed(1), orchCpuMsPerTask: ((c1 - c0) / N).toFixed(2) }))
} finally { await w.stop(); if (process.env.PROF) { process.kill(pid0, 'SIGTERM'); await sleep(3000) } await o.stop(); if (pg) execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-qc", `DROP DATABASE ${db} WITH (FORCE)`]) }
