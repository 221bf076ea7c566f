type Affine = readonly [number, number, number, number, number, number]

const multiply = (l: Affine, r: Affine): Affine => [
  l[0] * r[0] + l[2] * r[1],
  l[1] * r[0] + l[3] * r[1],
  l[0] * r[2] + l[2] * r[3],
  l[1] * r[2] + l[3] * r[3],
  l[0] * r[4] + l[2] * r[5] + l[4],
  l[1] * r[4] + l[3] * r[5] + l[5]
]

/**
 * A 2D-only stand-in for `DOMMatrix`, installed when `@napi-rs/canvas` cannot be loaded: pdfjs
 * constructs a `DOMMatrix` while its module loads, and text extraction needs nothing beyond 2D.
 */
export class MinimalDOMMatrix {
  a = 1
  b = 0
  c = 0
  d = 1
  e = 0
  f = 0

  constructor(init?: ArrayLike<number>) {
    if (init !== undefined && init.length >= 6) this.set([init[0]!, init[1]!, init[2]!, init[3]!, init[4]!, init[5]!])
  }

  get is2D(): boolean {
    return true
  }
  get isIdentity(): boolean {
    return this.a === 1 && this.b === 0 && this.c === 0 && this.d === 1 && this.e === 0 && this.f === 0
  }
  get m11(): number {
    return this.a
  }
  get m12(): number {
    return this.b
  }
  get m21(): number {
    return this.c
  }
  get m22(): number {
    return this.d
  }
  get m41(): number {
    return this.e
  }
  get m42(): number {
    return this.f
  }

  multiplySelf(other: MinimalDOMMatrix): this {
    return this.set(multiply(this.values(), other.values()))
  }
  preMultiplySelf(other: MinimalDOMMatrix): this {
    return this.set(multiply(other.values(), this.values()))
  }
  translateSelf(tx = 0, ty = 0): this {
    return this.set(multiply(this.values(), [1, 0, 0, 1, tx, ty]))
  }
  scaleSelf(sx = 1, sy = sx): this {
    return this.set(multiply(this.values(), [sx, 0, 0, sy, 0, 0]))
  }
  invertSelf(): this {
    const { a, b, c, d, e, f } = this
    const det = a * d - b * c
    if (det === 0) return this.set([NaN, NaN, NaN, NaN, NaN, NaN])
    return this.set([d / det, -b / det, -c / det, a / det, (c * f - d * e) / det, (b * e - a * f) / det])
  }
  multiply(other: MinimalDOMMatrix): MinimalDOMMatrix {
    return new MinimalDOMMatrix(this.values()).multiplySelf(other)
  }
  translate(tx?: number, ty?: number): MinimalDOMMatrix {
    return new MinimalDOMMatrix(this.values()).translateSelf(tx, ty)
  }
  scale(sx?: number, sy?: number): MinimalDOMMatrix {
    return new MinimalDOMMatrix(this.values()).scaleSelf(sx, sy)
  }
  inverse(): MinimalDOMMatrix {
    return new MinimalDOMMatrix(this.values()).invertSelf()
  }
  transformPoint(point: { readonly x?: number; readonly y?: number } = {}): { x: number; y: number } {
    const { x = 0, y = 0 } = point
    return { x: this.a * x + this.c * y + this.e, y: this.b * x + this.d * y + this.f }
  }

  private values(): Affine {
    return [this.a, this.b, this.c, this.d, this.e, this.f]
  }
  private set(values: Affine): this {
    ;[this.a, this.b, this.c, this.d, this.e, this.f] = values
    return this
  }
}
