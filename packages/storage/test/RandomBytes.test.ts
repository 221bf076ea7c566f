import { describe, expect, it } from "vitest"
import { randomBytes } from "../src/RandomBytes.js"

describe("randomBytes", () => {
  it("hands out the requested length, never the same bytes twice, across pool refills", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 2_000; i++) {
      const bytes = randomBytes(12)
      expect(bytes).toHaveLength(12)
      seen.add(bytes.toString("hex"))
    }
    expect(seen.size).toBe(2_000)
  })

  it("returns copies: changing one does not change the next", () => {
    const first = randomBytes(16)
    first.fill(0)
    const next = randomBytes(16)
    expect(next.equals(Buffer.alloc(16))).toBe(false)
  })

  it("serves lengths larger than its pool", () => {
    const big = randomBytes(10_000)
    expect(big).toHaveLength(10_000)
    expect(new Set(big).size).toBeGreaterThan(200)
  })
})
