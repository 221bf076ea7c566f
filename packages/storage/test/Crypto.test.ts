import { hkdfSync } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { EncryptJWT, jwtDecrypt, jwtVerify, SignJWT } from "jose"
import { Crypto, type CryptoShape, makeCrypto, type StorageGrant } from "../src/Crypto.js"

const SECRET = "0123456789abcdef".repeat(4)
const OTHER = "fedcba9876543210".repeat(4)
const NOW = Date.UTC(2026, 10, 28, 12, 0, 0)
const TTL = 300

const crypto = (secret = SECRET) => Effect.orDie(makeCrypto(Redacted.make(secret)))
const s3Grant: StorageGrant = {
  runId: "trun_1",
  taskId: "download",
  attempt: 2,
  scope: "trun_1",
  inputPath: "standalone/trun_1/input.json",
  backend: {
    id: "primary-s3",
    provider: "aws-s3",
    bucket: "b",
    region: "eu-west-1",
    endpoint: "http://127.0.0.1:9000",
    credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "TOPSECRETVALUE" }
  }
}
const localGrant: StorageGrant = {
  runId: "trun_9",
  taskId: "convert",
  attempt: 1,
  scope: "prun_9",
  inputPath: "pipelines/prun_9/input.json",
  backend: { id: "local", provider: "local", credentials: { basePath: "/srv/app/.pipeweave/storage" } }
}
const opened = (grant: StorageGrant, nowMs = NOW, ttl = TTL) => ({ ...grant, expiresAtMs: (Math.floor(nowMs / 1000) + ttl) * 1000 })
const flipAt = (token: string, segment: number) => {
  const parts = token.split(".")
  const s = parts[segment]!
  parts[segment] = (s[0] === "A" ? "B" : "A") + s.slice(1)
  return parts.join(".")
}
const rejected = <A>(effect: Effect.Effect<A, { readonly _tag: string; readonly message: string }>) =>
  Effect.map(Effect.flip(effect), (error) => {
    assert.strictEqual(error._tag, "InvalidToken")
    return error.message
  })

describe("Crypto storage tokens", () => {
  it.effect("seal and open round-trip the grant; the token is an opaque dir/A256GCM JWE", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      for (const grant of [s3Grant, localGrant]) {
        const token = yield* c.sealStorageToken(grant, NOW, TTL)
        assert.deepStrictEqual(yield* c.openStorageToken(token, NOW + 1000), opened(grant))
      }
      const token = yield* c.sealStorageToken(s3Grant, NOW, TTL)
      const parts = token.split(".")
      assert.strictEqual(parts.length, 5)
      assert.strictEqual(parts[1], "")
      assert.deepStrictEqual(JSON.parse(Buffer.from(parts[0]!, "base64url").toString()), { alg: "dir", enc: "A256GCM" })
      assert.notInclude(parts.map((p) => Buffer.from(p, "base64url").toString("latin1")).join(""), "TOPSECRETVALUE")
    }))

  it.effect("a token sealed with another secret does not open", () =>
    Effect.gen(function*() {
      const token = yield* (yield* crypto(OTHER)).sealStorageToken(s3Grant, NOW, TTL)
      assert.include(yield* rejected((yield* crypto()).openStorageToken(token, NOW)), "storage token rejected")
    }))

  it.effect("a token expires ttlSeconds after sealing (time comes from the caller)", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const token = yield* c.sealStorageToken(s3Grant, NOW, TTL)
      assert.deepStrictEqual(yield* c.openStorageToken(token, NOW + TTL * 1000 - 1), opened(s3Grant))
      assert.include(yield* rejected(c.openStorageToken(token, NOW + TTL * 1000)), "\"exp\"")
      assert.include(yield* rejected(c.openStorageToken(token, NOW + 86_400_000)), "\"exp\"")
    }))

  it.effect("a tampered token does not open", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const token = yield* c.sealStorageToken(s3Grant, NOW, TTL)
      for (const segment of [0, 2, 3, 4]) yield* rejected(c.openStorageToken(flipAt(token, segment), NOW))
      yield* rejected(c.openStorageToken(token.slice(0, -2), NOW))
      yield* rejected(c.openStorageToken("not-a-token", NOW))
    }))

  it.effect("a well-sealed token with a malformed grant is refused without echoing its contents", () =>
    Effect.gen(function*() {
      const key = new Uint8Array(
        hkdfSync("sha256", Buffer.from(SECRET, "hex"), new Uint8Array(0), "pipeweave storage token encryption", 32)
      )
      const bad = { ...s3Grant.backend, credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: 987654321 } }
      const token = yield* Effect.promise(() =>
        new EncryptJWT({ runId: "trun_1", tsk: "download", att: 1, scp: "trun_1", inp: "standalone/trun_1/input.json", backend: bad }).setProtectedHeader({ alg: "dir", enc: "A256GCM" })
          .setIssuer("pipeweave").setAudience("pipeweave-storage").setExpirationTime(NOW / 1000 + TTL).encrypt(key)
      )
      const message = yield* rejected((yield* crypto()).openStorageToken(token, NOW))
      assert.strictEqual(message, "storage token malformed: 'backend.credentials.secretAccessKey' is invalid")
      assert.notInclude(message, "987654321")
    }))

  it.effect("a token without the attempt and scope it binds (an older grant) is refused", () =>
    Effect.gen(function*() {
      const key = new Uint8Array(
        hkdfSync("sha256", Buffer.from(SECRET, "hex"), new Uint8Array(0), "pipeweave storage token encryption", 32)
      )
      const token = yield* Effect.promise(() =>
        new EncryptJWT({ runId: "trun_1", backend: s3Grant.backend }).setProtectedHeader({ alg: "dir", enc: "A256GCM" })
          .setIssuer("pipeweave").setAudience("pipeweave-storage").setExpirationTime(NOW / 1000 + TTL).encrypt(key)
      )
      assert.include(yield* rejected((yield* crypto()).openStorageToken(token, NOW)), "storage token malformed")
    }))
})

describe("Crypto worker credentials", () => {
  it.effect("sign and verify both claim kinds", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const service = yield* c.signCredential({ _tag: "Service", serviceId: "pdf-worker" }, NOW, TTL)
      const run = yield* c.signCredential({ _tag: "Run", runId: "trun_1", attempt: 3 }, NOW, TTL)
      assert.deepStrictEqual(yield* c.verifyCredential(service, NOW), { _tag: "Service", serviceId: "pdf-worker" })
      assert.deepStrictEqual(yield* c.verifyCredential(run, NOW), { _tag: "Run", runId: "trun_1", attempt: 3 })
      assert.deepStrictEqual(JSON.parse(Buffer.from(run.split(".")[0]!, "base64url").toString()), { alg: "HS256" })
    }))

  it.effect("another secret, expiry and tampering are refused", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const token = yield* c.signCredential({ _tag: "Run", runId: "trun_1", attempt: 1 }, NOW, TTL)
      assert.include(yield* rejected((yield* crypto(OTHER)).verifyCredential(token, NOW)), "credential rejected")
      assert.deepStrictEqual(yield* c.verifyCredential(token, NOW + TTL * 1000 - 1), { _tag: "Run", runId: "trun_1", attempt: 1 })
      assert.include(yield* rejected(c.verifyCredential(token, NOW + TTL * 1000)), "\"exp\"")
      for (const segment of [0, 1, 2]) yield* rejected(c.verifyCredential(flipAt(token, segment), NOW))
    }))

  it.effect("a valid token with anything outside base64url added is refused (the decoder would skip it)", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const credential = yield* c.signCredential({ _tag: "Run", runId: "trun_1", attempt: 1 }, NOW, TTL)
      const storageToken = yield* c.sealStorageToken(s3Grant, NOW, TTL)
      for (const extra of ["\0", " ", "=", "%00", "\n"]) {
        yield* rejected(c.verifyCredential(credential + extra, NOW))
        yield* rejected(c.verifyCredential(extra + credential, NOW))
        yield* rejected(c.openStorageToken(storageToken + extra, NOW))
      }
      assert.deepStrictEqual(yield* c.verifyCredential(credential, NOW), { _tag: "Run", runId: "trun_1", attempt: 1 })
    }))

  it.effect("a credential verifies alike whether this instance signed it, verified it before or forgot it", () =>
    Effect.gen(function*() {
      const signer = yield* crypto()
      const other = yield* crypto()
      const claims = { _tag: "Run", runId: "trun_1", attempt: 2, scope: "prun_1" } as const
      const token = yield* signer.signCredential(claims, NOW, TTL)
      const late = NOW + TTL * 1000
      for (const c of [signer, other, other]) {
        assert.deepStrictEqual(yield* c.verifyCredential(token, late - 1), claims)
        assert.include(yield* rejected(c.verifyCredential(token, late)), "\"exp\"")
      }
      for (let i = 0; i < 5000; i++) yield* signer.signCredential({ _tag: "Run", runId: `trun_${i}`, attempt: 1 }, NOW, TTL)
      assert.deepStrictEqual(yield* signer.verifyCredential(token, late - 1), claims)
      assert.include(yield* rejected(signer.verifyCredential(token, late)), "\"exp\"")
      assert.include(yield* rejected(signer.verifyCredential(flipAt(token, 2), NOW)), "credential rejected")
    }))

  it.effect("a token made for one purpose is refused for the other", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const storageToken = yield* c.sealStorageToken(s3Grant, NOW, TTL)
      const credential = yield* c.signCredential({ _tag: "Service", serviceId: "svc" }, NOW, TTL)
      yield* rejected(c.verifyCredential(storageToken, NOW))
      yield* rejected(c.openStorageToken(credential, NOW))
    }))
})

describe("Crypto secret", () => {
  it.effect("anything but 64 hex characters is InvalidSecretKey naming PIPEWEAVE_SECRET_KEY", () =>
    Effect.gen(function*() {
      for (const secret of ["", "abc", SECRET.slice(1), `${SECRET}0`, "g".repeat(64), `${SECRET.slice(2)} x`]) {
        const error = yield* Effect.flip(makeCrypto(Redacted.make(secret)))
        assert.strictEqual(error._tag, "InvalidSecretKey")
        assert.include(error.message, "PIPEWEAVE_SECRET_KEY")
        assert.include(error.message, "64 hex")
      }
    }))

  it.effect("surrounding whitespace and upper case are accepted; the layer provides the service", () =>
    Effect.gen(function*() {
      const token = yield* (yield* crypto(` ${SECRET.toUpperCase()}\n`)).sealStorageToken(localGrant, NOW, TTL)
      const grant = yield* Effect.flatMap(Crypto, (c: CryptoShape) => c.openStorageToken(token, NOW)).pipe(
        Effect.provide(Crypto.fromSecret(Redacted.make(SECRET)))
      )
      assert.deepStrictEqual(grant, opened(localGrant))
    }))
})

describe("Crypto token format", () => {
  const keyFor = (info: string) => new Uint8Array(hkdfSync("sha256", Buffer.from(SECRET, "hex"), new Uint8Array(0), info, 32))

  it.effect("tokens are standard compact JWE and JWS: jose opens ours, and ours opens jose's", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const encryption = keyFor("pipeweave storage token encryption")
      const signing = keyFor("pipeweave worker credential signing")
      const sealed = yield* c.sealStorageToken(localGrant, NOW, TTL)
      const opened = yield* Effect.promise(() =>
        jwtDecrypt(sealed, encryption, { issuer: "pipeweave", audience: "pipeweave-storage", currentDate: new Date(NOW) }))
      assert.deepStrictEqual({
        runId: opened.payload["runId"],
        taskId: opened.payload["tsk"],
        attempt: opened.payload["att"],
        scope: opened.payload["scp"],
        inputPath: opened.payload["inp"],
        backend: opened.payload["backend"]
      }, localGrant)
      const signed = yield* c.signCredential({ _tag: "Run", runId: "trun_1", attempt: 3 }, NOW, TTL)
      const verified = yield* Effect.promise(() =>
        jwtVerify(signed, signing, { issuer: "pipeweave", audience: "pipeweave-worker", currentDate: new Date(NOW) }))
      assert.deepStrictEqual([verified.payload.sub, verified.payload["att"]], ["trun_1", 3])
      const fromJose = yield* Effect.promise(() =>
        new SignJWT({ kind: "service" }).setProtectedHeader({ alg: "HS256" }).setSubject("svc").setIssuer("pipeweave")
          .setAudience("pipeweave-worker").setExpirationTime(Math.floor(NOW / 1000) + TTL).sign(signing))
      assert.deepStrictEqual(yield* c.verifyCredential(fromJose, NOW), { _tag: "Service", serviceId: "svc" })
    }))

  it.effect("a credential whose header names another algorithm, or none, is refused", () =>
    Effect.gen(function*() {
      const c = yield* crypto()
      const token = yield* c.signCredential({ _tag: "Service", serviceId: "svc" }, NOW, TTL)
      const [, payload, signature] = token.split(".")
      for (const alg of ["none", "HS512", "RS256"]) {
        const forged = `${Buffer.from(JSON.stringify({ alg })).toString("base64url")}.${payload}.${alg === "none" ? "" : signature}`
        assert.include(yield* rejected(c.verifyCredential(forged, NOW)), "credential rejected")
      }
    }))
})
