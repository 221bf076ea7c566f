import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { startOrchestrator } from "./harness.js"
const db = `pw_req_${process.pid}`
execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-qc", `CREATE DATABASE ${db}`])
const o = await startOrchestrator({ DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${db}` }, process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof-req"] : [])
const port = new URL(o.url).port
const pid = Number(/pid=(\d+)/.exec(execFileSync("ss", ["-ltnpH", `sport = :${port}`]).toString())![1])
const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" "); return (Number(f[11]) + Number(f[12])) * 10 }
const N = 1000
for (const [name, path, body] of [["health", "/health", undefined], ["health2", "/health", undefined], ["status", "/api/queue/status", undefined], ["heartbeat-unauth", "/api/heartbeat", { runId: "trun_abcdefgh", attempt: 1 }]] as const) {
  const c0 = cpu(); const t0 = performance.now()
  for (let i = 0; i < N; i++) {
    const r = await fetch(o.url + path, body ? { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer x.y.z" }, body: JSON.stringify(body) } : undefined)
    await r.text()
  }
  console.log(name, "cpu ms/req", ((cpu() - c0) / N).toFixed(2), "wall ms/req", ((performance.now() - t0) / N).toFixed(2))
}
if (process.env.PROF) { process.kill(pid, "SIGTERM"); await new Promise((r) => setTimeout(r, 3000)) }
await o.stop(); execFileSync("psql", ["-h", "127.0.0.1", "-U", "postgres", "-qc", `DROP DATABASE ${db} WITH (FORCE)`])
