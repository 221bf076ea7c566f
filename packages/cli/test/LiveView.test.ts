import { assert, describe, it } from "@effect/vitest"
import { Option } from "effect"
import { formatElapsed, parseDuration } from "../src/DurationText.js"
import { changeLines, frameLines, type LiveRun, type LiveTask } from "../src/LiveView.js"
import { parseLogLines, renderLogLine } from "../src/LogLines.js"
import { redraw, redrawsInPlace } from "../src/TerminalFrame.js"

const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds))

const task = (overrides: Partial<LiveTask> = {}): LiveTask => ({
  taskId: "crunch",
  taskRunId: "trun_a1",
  status: "running",
  attempt: 2,
  maxAttempts: 3,
  progress: { percent: 40, message: "page 4 of 10" },
  lastFailure: { attempt: 1, error: "upstream busy", errorCode: "RATE_LIMITED" },
  startedAt: at(2),
  completedAt: null,
  ...overrides
})

const run = (tasks: ReadonlyArray<LiveTask>, overrides: Partial<LiveRun> = {}): LiveRun => ({
  id: "prun_x1",
  subject: "pipeline crunch",
  status: "running",
  createdAt: at(0),
  completedAt: null,
  tasks,
  ...overrides
})

describe("the live view", () => {
  it("a frame: the run's header, then a row per task with status, attempt, progress, elapsed and last failure", () => {
    const lines = frameLines(run([task(), task({ taskId: "publish", taskRunId: null, status: "waiting", attempt: 0, progress: null, lastFailure: null, startedAt: null })]), at(12))
    assert.deepStrictEqual(lines, [
      "prun_x1  pipeline crunch  running  12s",
      "  TASK     STATUS   ATTEMPT  PROGRESS          ELAPSED  LAST FAILURE",
      "  crunch   running  2/3      40% page 4 of 10  10s      #1 [RATE_LIMITED] upstream busy",
      "  publish  waiting  -"
    ])
  })

  it("a frame is cut to the terminal's width, and a multi-line message stays on one line", () => {
    const lines = frameLines(run([task({ lastFailure: { attempt: 1, error: "line one\nline two", errorCode: null } })]), at(12), 40)
    assert.isTrue(lines.every((line) => line.length <= 40), lines.join("\n"))
    assert.isTrue(lines[2]!.endsWith("…"))
    assert.isFalse(frameLines(run([task()]), at(12), 0)[2]!.endsWith("…"), "a terminal that reports no width cuts nothing")
    assert.include(frameLines(run([task({ lastFailure: { attempt: 1, error: "line one\nline two", errorCode: null } })]), at(12))[2]!, "#1 line one line two")
  })

  it("one line per change: everything first, then only what changed apart from elapsed time, and the run's end", () => {
    const first = run([task({ attempt: 1, progress: null, lastFailure: null })])
    assert.deepStrictEqual(changeLines(undefined, first, at(3)), ["prun_x1: crunch running, attempt 1/3, 1s"])
    assert.deepStrictEqual(changeLines(first, first, at(9)), [])
    const progressed = run([task({ attempt: 1, lastFailure: null })])
    assert.deepStrictEqual(changeLines(first, progressed, at(4)), ["prun_x1: crunch running, attempt 1/3, 40% page 4 of 10, 2s"])
    const retried = run([task()])
    assert.deepStrictEqual(changeLines(progressed, retried, at(5)), [
      "prun_x1: crunch running, attempt 2/3, 40% page 4 of 10, last failure #1 [RATE_LIMITED] upstream busy, 3s"
    ])
    const done = run([task({ status: "completed", progress: { percent: 100, message: null }, completedAt: at(7) })], {
      status: "completed",
      completedAt: at(8)
    })
    assert.deepStrictEqual(changeLines(retried, done, at(9)), [
      "prun_x1: crunch completed, attempt 2/3, last failure #1 [RATE_LIMITED] upstream busy, 5s",
      "prun_x1: completed after 8s"
    ])
  })

  it("redraws in place with cursor movement only on an interactive terminal without NO_COLOR", () => {
    assert.strictEqual(redraw(0, ["a", "b"]), "\u001b[0Ja\nb")
    assert.strictEqual(redraw(2, ["c"]), "\r\u001b[2A\u001b[0Jc")
    const tty = { stdoutIsTty: true, stderrIsTty: true, env: { TERM: "xterm-256color" } }
    assert.isTrue(redrawsInPlace(tty))
    assert.isTrue(redrawsInPlace({ ...tty, env: { NO_COLOR: "" } }))
    assert.isFalse(redrawsInPlace({ ...tty, env: { NO_COLOR: "1" } }))
    assert.isFalse(redrawsInPlace({ ...tty, env: { TERM: "dumb" } }))
    assert.isFalse(redrawsInPlace({ ...tty, stdoutIsTty: false }))
    assert.isFalse(redrawsInPlace({ ...tty, stderrIsTty: false }))
  })
})

describe("durations", () => {
  it("--timeout accepts a number with a unit, and sums parts", () => {
    assert.deepStrictEqual(parseDuration("30s"), Option.some(30_000))
    assert.deepStrictEqual(parseDuration("5m"), Option.some(300_000))
    assert.deepStrictEqual(parseDuration("1h"), Option.some(3_600_000))
    assert.deepStrictEqual(parseDuration("1h30m"), Option.some(5_400_000))
    assert.deepStrictEqual(parseDuration("250ms"), Option.some(250))
    for (const bad of ["", "30", "0s", "-5s", "1.5s", "5 minutes", "s", "5d", "1e3s"]) {
      assert.deepStrictEqual(parseDuration(bad), Option.none(), bad)
    }
  })

  it("elapsed times", () => {
    assert.deepStrictEqual([0, 850, 1000, 12_345, 65_000, 3_725_000].map(formatElapsed), ["0ms", "850ms", "1s", "12.3s", "1m05s", "1h02m"])
  })
})

describe("log lines", () => {
  it("timestamp, level, attempt, message and the other fields on one line; a line that is not JSON as it is", () => {
    const entries = parseLogLines(
      '{"ts":"2026-01-01T00:00:00.000Z","level":"info","message":"reading","attempt":1,"pages":3}\n' +
        '{"ts":"2026-01-01T00:00:01.000Z","level":"error","message":"attempt 1 failed:\\nbusy","attempt":1,"errorCode":"BUSY"}\n' +
        "\nnot json\n"
    )
    assert.deepStrictEqual(entries.map((e) => renderLogLine(e, true)), [
      "2026-01-01T00:00:00.000Z INFO  [attempt 1] reading pages=3",
      "2026-01-01T00:00:01.000Z ERROR [attempt 1] attempt 1 failed:\\nbusy errorCode=BUSY",
      "- -     [attempt ?] not json"
    ])
    assert.strictEqual(renderLogLine(entries[0]!, false), "2026-01-01T00:00:00.000Z INFO  reading pages=3")
  })
})
