import { describe, expect, it } from "vitest"
import { maxAttempts, retryDelayMs } from "../src/Backoff.js"

const exponential = { retries: 30, retryBackoff: "exponential" as const, retryDelayMs: 1000, maxRetryDelayMs: 86_400_000 }

describe("retry backoff (DESIGN §2: delay before attempt n is min(retryDelayMs · 2^(n−2), maxRetryDelayMs))", () => {
  it("doubles from retryDelayMs: attempt 2 after 1000 ms, 3 after 2000, 4 after 4000, 5 after 8000", () => {
    expect([2, 3, 4, 5].map((n) => retryDelayMs(exponential, n))).toEqual([1000, 2000, 4000, 8000])
  })

  it("reaches the 24-hour cap at attempt 19 (the spec's rows for 15 and 18 are one doubling off its first rows)", () => {
    expect(retryDelayMs(exponential, 15)).toBe(8_192_000)
    expect(retryDelayMs(exponential, 18)).toBe(65_536_000)
    expect(retryDelayMs(exponential, 19)).toBe(86_400_000)
    expect(retryDelayMs(exponential, 500)).toBe(86_400_000)
  })

  it("fixed backoff waits retryDelayMs, never more than the cap; retries: 3 means 4 attempts", () => {
    expect(retryDelayMs({ ...exponential, retryBackoff: "fixed" }, 7)).toBe(1000)
    expect(retryDelayMs({ ...exponential, retryBackoff: "fixed", maxRetryDelayMs: 400 }, 2)).toBe(400)
    expect(maxAttempts({ retries: 3 })).toBe(4)
  })
})
