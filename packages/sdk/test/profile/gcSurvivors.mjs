/**
 * A preload for `profileWorker.ts` (`NODE_ARGS="--import ./packages/sdk/test/profile/gcSurvivors.mjs"`):
 * after every young collection, what stayed in the young generation and what the old generation
 * grew by (what was promoted), read when the observer hears of it (just after, not exactly at, its
 * end); written as JSON to `/tmp/gc-survivors-<pid>.json` when the process exits. With ten runs in
 * flight each scavenge should keep little: see docs/decisions.md, "What the worker's young
 * collections carry".
 */
import { constants, PerformanceObserver } from "node:perf_hooks"
import { writeFileSync } from "node:fs"
import { getHeapSpaceStatistics } from "node:v8"

const used = (name) => getHeapSpaceStatistics().find((space) => space.space_name === name)?.space_used_size ?? 0
const scavenges = []
let oldBefore = used("old_space")

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const old = used("old_space")
    if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      scavenges.push({ ms: entry.duration, youngAfter: used("new_space"), promoted: old - oldBefore })
    }
    oldBefore = old
  }
}).observe({ entryTypes: ["gc"] })

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0

const report = () =>
  writeFileSync(`/tmp/gc-survivors-${process.pid}.json`, JSON.stringify({
    scavenges: scavenges.length,
    totalMs: scavenges.reduce((sum, s) => sum + s.ms, 0),
    medianMs: median(scavenges.map((s) => s.ms)),
    medianYoungAfterBytes: median(scavenges.map((s) => s.youngAfter)),
    medianPromotedBytes: median(scavenges.map((s) => s.promoted)),
    promotedBytes: scavenges.reduce((sum, s) => sum + s.promoted, 0)
  }, null, 1))

process.once("exit", report)
