import { describe, expect, it } from "vitest"
import { timelineOf } from "../../src/lib/Timeline"

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms)
const task = (taskId: string, start: number | null, end: number | null, status = "completed") => ({
  taskId,
  status,
  startedAt: start === null ? null : at(start),
  completedAt: end === null ? null : at(end),
  codeVersion: 1
})

describe("timelineOf", () => {
  it("places each task's bar in percent of the run from its creation to its end", () => {
    const timeline = timelineOf(
      { createdAt: at(0), completedAt: at(1000), tasks: [task("a", 0, 200), task("b", 200, 1000), task("c", null, null, "skipped")] },
      at(5000).getTime()
    )
    expect(timeline.spanMs).toBe(1000)
    expect(timeline.rows.map((r) => [r.taskId, r.startMs, r.endMs, r.left, r.width])).toEqual([
      ["a", 0, 200, 0, 20],
      ["b", 200, 1000, 20, 80],
      ["c", null, null, 0, 0]
    ])
  })

  it("lets a running run and its running task end at now", () => {
    const timeline = timelineOf({ createdAt: at(0), completedAt: null, tasks: [task("a", 0, 100), task("b", 100, null, "running")] }, at(400).getTime())
    expect(timeline.spanMs).toBe(400)
    const b = timeline.rows[1]!
    expect([b.open, b.startMs, b.endMs, b.left, b.width]).toEqual([true, 100, 400, 25, 75])
  })

  it("keeps a minimal visible width for instant tasks and never passes 100%", () => {
    const timeline = timelineOf({ createdAt: at(0), completedAt: at(10_000), tasks: [task("fast", 10_000, 10_000)] }, 0)
    const row = timeline.rows[0]!
    expect(row.width).toBeGreaterThan(0)
    expect(row.left + row.width).toBeLessThanOrEqual(100.5)
  })
})
