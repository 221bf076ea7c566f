import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100
  } catch {
    return 100
  }
})()

/** User + system CPU time of a process so far, in ms (`/proc/<pid>/stat` utime + stime). */
export const cpuMs = (pid: number): number => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond
}

const statusKb = (pid: number, key: string): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${key}:`))
  if (line === undefined) throw new Error(`no ${key} in /proc/${pid}/status`)
  return Number(line.split(/\s+/)[1])
}

/** Resident set size now, in MB (`VmRSS`). */
export const rssMb = (pid: number): number => statusKb(pid, "VmRSS") / 1024

/** Peak resident set size so far, in MB (`VmHWM`). */
export const peakRssMb = (pid: number): number => statusKb(pid, "VmHWM") / 1024
