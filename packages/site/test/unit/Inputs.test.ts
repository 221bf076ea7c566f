import { describe, expect, it } from "vitest"
import { changesBetweenAttempts, codeChanged, shortHash } from "../../src/lib/CodeChanges"
import { parseJsonInput } from "../../src/lib/JsonInput"
import { parseLogLines, preview, storedText } from "../../src/lib/StoredText"

describe("parseJsonInput", () => {
  it("accepts JSON and an empty field (as {})", () => {
    expect(parseJsonInput('{"url": "https://x"}')).toEqual({ ok: true, value: { url: "https://x" } })
    expect(parseJsonInput("  \n")).toEqual({ ok: true, value: {} })
    expect(parseJsonInput("[1, 2]")).toEqual({ ok: true, value: [1, 2] })
  })

  it("refuses anything else with a message naming where", () => {
    const result = parseJsonInput('{\n  "url": "x",\n}')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.message).toMatch(/^Not valid JSON/)
    if (!result.ok && /position/.test(result.message)) expect(result.message).toMatch(/line 3, column 1/)
    expect(parseJsonInput("{url: 1}").ok).toBe(false)
  })
})

describe("code changes", () => {
  const v = (codeVersion: number, codeHash: string) => ({ codeVersion, codeHash })
  it("flags an attempt whose hash differs from the attempt before", () => {
    expect(changesBetweenAttempts([v(1, "sha256:aa"), v(1, "sha256:aa"), v(2, "sha256:bb")])).toEqual([false, false, true])
    expect(codeChanged(undefined, v(1, "a"))).toBe(false)
    expect(codeChanged({ codeVersion: null, codeHash: null }, v(1, "a"))).toBe(false)
    expect(shortHash("sha256:0123456789abcdef")).toBe("0123456789ab")
  })
})

describe("stored content", () => {
  it("pretty-prints JSON and cuts long text", () => {
    expect(storedText({ encoding: "json", content: { a: 1 }, size: 7 })).toBe('{\n  "a": 1\n}')
    expect(preview("abcdef", 4)).toEqual({ text: "abcd", cut: true })
    expect(preview("abc", 4)).toEqual({ text: "abc", cut: false })
  })

  it("reads log lines, keeping a line that is not JSON as a message", () => {
    const lines = parseLogLines('{"ts":"2026-01-01T00:00:00Z","level":"warn","message":"slow","page":3}\nplain text\n')
    expect(lines).toEqual([
      { ts: "2026-01-01T00:00:00Z", level: "warn", message: "slow", fields: { page: 3 } },
      { ts: "", level: "info", message: "plain text", fields: {} }
    ])
  })
})
