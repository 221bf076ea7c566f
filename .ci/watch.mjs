// node .ci/watch.mjs <command> [args…]: runs the command (its output passed through) and watches it.
// When it prints nothing for CI_STALL_MINUTES (default 6), the run is taken as hung: the processes
// of its group are listed, the group is killed, and the command runs once more from the start.
// (A test run once stopped making progress for good, its last vitest fork idle and never given a
// file; see docs/decisions.md, "CI: a test run that prints nothing for six minutes is run again".)
import { execFileSync, spawn } from "node:child_process"

const [command, ...args] = process.argv.slice(2)
if (command === undefined) {
  process.stderr.write("usage: node .ci/watch.mjs <command> [args…]\n")
  process.exit(2)
}
const stallMinutes = Number(process.env.CI_STALL_MINUTES ?? 6)
if (!(stallMinutes > 0)) {
  process.stderr.write(`CI_STALL_MINUTES must be a positive number of minutes (got "${process.env.CI_STALL_MINUTES}")\n`)
  process.exit(2)
}
const stallMs = stallMinutes * 60_000

let running
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    try {
      if (running !== undefined) process.kill(-running.pid, "SIGKILL")
    } catch {
      // already gone
    }
    process.exit(130)
  })
}

/** Runs the command once; resolves with its exit code, or "stalled" once it was killed for printing nothing. */
const runOnce = () =>
  new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true })
    running = child
    let lastOutput = Date.now()
    let stalled = false
    const pass = (to) => (chunk) => {
      lastOutput = Date.now()
      to.write(chunk)
    }
    child.stdout.on("data", pass(process.stdout))
    child.stderr.on("data", pass(process.stderr))
    const timer = setInterval(() => {
      if (Date.now() - lastOutput < stallMs) return
      stalled = true
      clearInterval(timer)
      process.stderr.write(`\n[watch] no output for ${stallMinutes} minutes: the run looks hung; its processes:\n`)
      try {
        process.stderr.write(execFileSync("ps", ["-o", "pid,ppid,stat,etime,time,wchan:20,args", "-g", String(child.pid)], { encoding: "utf8" }))
      } catch {
        // ps exits 1 when the group is already gone
      }
      try {
        process.kill(-child.pid, "SIGKILL")
      } catch {
        // the group ended meanwhile
      }
    }, 5_000)
    child.on("close", (code, signal) => {
      clearInterval(timer)
      resolve(stalled ? "stalled" : code ?? (signal === null ? 1 : 128))
    })
  })

let outcome = await runOnce()
if (outcome === "stalled") {
  process.stderr.write(`[watch] running ${[command, ...args].join(" ")} once more\n`)
  outcome = await runOnce()
}
process.exit(outcome === "stalled" ? 1 : outcome)
