import { describe, expect, it } from "vitest"
import { MinimalDOMMatrix } from "../src/MinimalDOMMatrix.js"

const values = (m: MinimalDOMMatrix) => [m.a, m.b, m.c, m.d, m.e, m.f]

describe("MinimalDOMMatrix", () => {
  it("starts as the identity, or from six values", () => {
    expect(new MinimalDOMMatrix().isIdentity).toBe(true)
    expect(values(new MinimalDOMMatrix([2, 0, 0, 3, 10, 20]))).toEqual([2, 0, 0, 3, 10, 20])
  })

  it("composes like DOMMatrix: translate then scale applies the scale first", () => {
    const m = new MinimalDOMMatrix().translate(10, 20).scale(2, 3)
    expect(m.transformPoint({ x: 1, y: 1 })).toEqual({ x: 12, y: 23 })
    const pre = new MinimalDOMMatrix([2, 0, 0, 2, 0, 0]).preMultiplySelf(new MinimalDOMMatrix([1, 0, 0, 1, 5, 5]))
    expect(values(pre)).toEqual([2, 0, 0, 2, 5, 5])
  })

  it("inverts, and multiplying by the inverse gives the identity", () => {
    const m = new MinimalDOMMatrix([1, 2, 3, 4, 5, 6])
    expect(values(m.multiply(m.inverse())).map((v) => Math.round(v * 1e9) / 1e9 + 0)).toEqual([1, 0, 0, 1, 0, 0])
    expect(values(new MinimalDOMMatrix([0, 0, 0, 0, 1, 1]).inverse()).every(Number.isNaN)).toBe(true)
  })
})
