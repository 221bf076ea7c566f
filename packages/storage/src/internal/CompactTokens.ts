import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto"
import { randomBytes } from "../RandomBytes.js"

/**
 * Compact JWS (HS256) and JWE (`dir` + `A256GCM`) as RFC 7515/7516 define them, computed with
 * node:crypto's synchronous primitives: WebCrypto runs each operation as a job on the thread
 * pool, which cost ~1 ms per token here. Tokens are interchangeable with jose's.
 */

/** Registered claims every token carries, checked when it is opened. */
export interface ClaimChecks {
  readonly issuer: string
  readonly audience: string
  readonly nowSeconds: number
}

const b64 = (data: Uint8Array | string): string => Buffer.from(data).toString("base64url")
const json = (segment: string): unknown => JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))

const JWS_HEADER = b64(JSON.stringify({ alg: "HS256" }))
const JWE_HEADER = b64(JSON.stringify({ alg: "dir", enc: "A256GCM" }))

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const checkClaims = (claims: unknown, checks: ClaimChecks): Record<string, unknown> => {
  if (!isRecord(claims)) throw new Error("JWT Claims Set must be a top-level JSON object")
  if (claims["iss"] !== checks.issuer) throw new Error(`unexpected "iss" claim value`)
  if (claims["aud"] !== checks.audience) throw new Error(`unexpected "aud" claim value`)
  const exp = claims["exp"]
  if (typeof exp !== "number") throw new Error(`"exp" claim must be a number`)
  if (exp <= checks.nowSeconds) throw new Error(`"exp" claim timestamp check failed`)
  return claims
}

/** Checks a protected header: `ours` (the segment this module writes) at once, any other by its JSON. */
const header = (segment: string, ours: string, expected: Record<string, string>): void => {
  if (segment === ours) return
  const parsed = json(segment)
  if (!isRecord(parsed)) throw new Error("invalid protected header")
  const keys = Object.keys(parsed)
  const ok = keys.length === Object.keys(expected).length && keys.every((k) => parsed[k] === expected[k])
  if (!ok) throw new Error(`unsupported protected header ${JSON.stringify(parsed)}`)
}

/** Signs `claims` as a compact HS256 JWS. */
export const signJws = (claims: object, key: Uint8Array): string => {
  const input = `${JWS_HEADER}.${b64(JSON.stringify(claims))}`
  return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`
}

/**
 * Base64url segments joined by dots and nothing else. Node's base64url decoder skips characters
 * outside the alphabet, so without this a valid token with anything appended (a NUL, a space)
 * would still verify.
 */
const COMPACT = /^[A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*)*$/

const segmentsOf = (token: string, count: number, kind: string): Array<string> => {
  const parts = COMPACT.test(token) ? token.split(".") : []
  if (parts.length !== count) throw new Error(`Invalid Compact ${kind}`)
  return parts
}

/** Verifies a compact HS256 JWS and its registered claims; throws with the reason otherwise. */
export const verifyJws = (token: string, key: Uint8Array, checks: ClaimChecks): Record<string, unknown> => {
  const parts = segmentsOf(token, 3, "JWS")
  const [protectedHeader, payload, signature] = parts as [string, string, string]
  header(protectedHeader, JWS_HEADER, { alg: "HS256" })
  const expected = createHmac("sha256", key).update(`${protectedHeader}.${payload}`).digest()
  const given = Buffer.from(signature, "base64url")
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("signature verification failed")
  return checkClaims(json(payload), checks)
}

/** Encrypts `claims` as a compact JWE with a direct AES-256-GCM key. */
export const sealJwe = (claims: object, key: Uint8Array): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv)
  cipher.setAAD(Buffer.from(JWE_HEADER, "ascii"))
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(claims), "utf8"), cipher.final()])
  return `${JWE_HEADER}..${b64(iv)}.${b64(ciphertext)}.${b64(cipher.getAuthTag())}`
}

/** Decrypts a compact `dir` + `A256GCM` JWE and checks its registered claims; throws with the reason otherwise. */
export const openJwe = (token: string, key: Uint8Array, checks: ClaimChecks): Record<string, unknown> => {
  const parts = segmentsOf(token, 5, "JWE")
  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = parts as [string, string, string, string, string]
  header(protectedHeader, JWE_HEADER, { alg: "dir", enc: "A256GCM" })
  if (encryptedKey !== "") throw new Error("Encountered unexpected JWE Encrypted Key")
  const ivBytes = Buffer.from(iv, "base64url")
  const tagBytes = Buffer.from(tag, "base64url")
  if (ivBytes.length !== 12 || tagBytes.length !== 16) throw new Error("invalid JWE initialization vector or tag")
  const decipher = createDecipheriv("aes-256-gcm", key, ivBytes)
  decipher.setAAD(Buffer.from(protectedHeader, "ascii"))
  decipher.setAuthTag(tagBytes)
  let plaintext: Buffer
  try {
    plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()])
  } catch {
    throw new Error("decryption operation failed")
  }
  return checkClaims(JSON.parse(plaintext.toString("utf8")), checks)
}
