import { randomFillSync } from "node:crypto"

const POOL_BYTES = 4096
const pool = Buffer.allocUnsafe(POOL_BYTES)
let offset = POOL_BYTES

/**
 * `length` cryptographically random bytes, drawn from a pool refilled `POOL_BYTES` at a time
 * (as `crypto.randomUUID` does): one `randomBytes` call costs ~10 µs on a busy VM, and the hot
 * path needs some for every dispatch (a token's IV) and every id. The bytes are copied out, each
 * handed out once.
 */
export const randomBytes = (length: number): Buffer => {
  if (length > POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(length))
  if (offset + length > POOL_BYTES) {
    randomFillSync(pool)
    offset = 0
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + length))
  offset += length
  return bytes
}
