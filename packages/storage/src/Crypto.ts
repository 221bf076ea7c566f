import { hkdfSync } from "node:crypto"
import { Context, Data, Effect, Either, Layer, ParseResult, Redacted, Schema } from "effect"
import { plainDecoder } from "@pipeweave/domain/PlainDecode"
import { taggedUnion } from "@pipeweave/domain/TaggedUnion"
import { openJwe, sealJwe, signJws, verifyJws } from "./internal/CompactTokens.js"
import { StorageBackendConfig } from "./StorageBackendConfig.js"

/** `PIPEWEAVE_SECRET_KEY` is not 64 hex characters. */
export class InvalidSecretKey extends Data.TaggedError("InvalidSecretKey")<{ readonly message: string }> {}

/** A token or credential that does not open, verify, or match what it is used for. */
export class InvalidToken extends Data.TaggedError("InvalidToken")<{ readonly message: string }> {}

/**
 * What a storage token carries: the attempt (of which run of which task) it was issued for, where that attempt reads its input
 * and the run's storage scope (`runs/{scope}/`, the pipeline run id or, for a standalone task, the
 * task run id), and the backend (with its credentials) it may use.
 */
export interface StorageGrant {
  readonly runId: string
  readonly taskId: string
  readonly attempt: number
  readonly scope: string
  readonly inputPath: string
  readonly backend: StorageBackendConfig
}

/** An opened storage token: its grant and when it expires. */
export interface OpenedGrant extends StorageGrant {
  readonly expiresAtMs: number
}

/** A signed worker credential's claims (mirrors `WorkerClaims` of the HTTP contract). */
export type CredentialClaims =
  | { readonly _tag: "Service"; readonly serviceId: string }
  | { readonly _tag: "Run"; readonly runId: string; readonly attempt: number; readonly scope?: string }

const ISSUER = "pipeweave"
const STORAGE_AUDIENCE = "pipeweave-storage"
const WORKER_AUDIENCE = "pipeweave-worker"

/**
 * Sealing storage tokens (JWE `dir` + `A256GCM`) and signing worker credentials (HS256), with
 * separate keys derived by HKDF from `PIPEWEAVE_SECRET_KEY`, computed synchronously with
 * node:crypto. Times come from the caller (`nowMs`), so tests drive expiry with `TestClock`.
 */
export interface CryptoShape {
  readonly sealStorageToken: (grant: StorageGrant, nowMs: number, ttlSeconds: number) => Effect.Effect<string>
  readonly openStorageToken: (token: string, nowMs: number) => Effect.Effect<OpenedGrant, InvalidToken>
  readonly signCredential: (claims: CredentialClaims, nowMs: number, ttlSeconds: number) => Effect.Effect<string>
  readonly verifyCredential: (token: string, nowMs: number) => Effect.Effect<CredentialClaims, InvalidToken>
  /**
   * The same four as plain functions, for code already inside one effect that handles many tokens
   * at once (a grouped dispatch, a group of callbacks): no runtime step per token.
   */
  readonly sync: {
    readonly sealStorageToken: (grant: StorageGrant, nowMs: number, ttlSeconds: number) => string
    readonly openStorageToken: (token: string, nowMs: number) => Either.Either<OpenedGrant, InvalidToken>
    readonly signCredential: (claims: CredentialClaims, nowMs: number, ttlSeconds: number) => string
    readonly verifyCredential: (token: string, nowMs: number) => Either.Either<CredentialClaims, InvalidToken>
  }
}

export class Crypto extends Context.Tag("@pipeweave/storage/Crypto")<Crypto, CryptoShape>() {
  /** Builds the service from a 64-hex-character secret. */
  static fromSecret(secretHex: Redacted.Redacted<string>): Layer.Layer<Crypto, InvalidSecretKey> {
    return Layer.effect(Crypto, makeCrypto(secretHex))
  }
}

const derive = (root: Uint8Array, info: string): Uint8Array =>
  new Uint8Array(hkdfSync("sha256", root, new Uint8Array(0), info, 32))

/**
 * The registered claims every token carries (checked by `openJwe` / `verifyJws` before decoding),
 * declared so that a token's claims are all known and decode without the parser rebuilding them.
 */
const registeredClaims = {
  iss: Schema.String,
  aud: Schema.String,
  iat: Schema.optional(Schema.Number),
  exp: Schema.Number
}
const decodeGrant = plainDecoder(Schema.Struct({
  runId: Schema.String,
  tsk: Schema.String,
  att: Schema.Int,
  scp: Schema.String,
  inp: Schema.String,
  backend: StorageBackendConfig,
  ...registeredClaims
}))
const decodeClaims = plainDecoder(
  taggedUnion(
    "kind",
    Schema.Struct({ kind: Schema.Literal("service"), sub: Schema.String, ...registeredClaims }),
    Schema.Struct({
      kind: Schema.Literal("run"),
      sub: Schema.String,
      att: Schema.Int,
      scp: Schema.optional(Schema.String),
      ...registeredClaims
    })
  )
)

/** How many credentials an instance remembers having signed or verified (about 2 MB at most). */
const KNOWN_CREDENTIALS = 4096

/** Claims as `verifyCredential` returns them (no `scope` key when there is none). */
const claimsOf = (claims: CredentialClaims): CredentialClaims =>
  claims._tag === "Service"
    ? { _tag: "Service", serviceId: claims.serviceId }
    : { _tag: "Run", runId: claims.runId, attempt: claims.attempt, ...(claims.scope === undefined ? {} : { scope: claims.scope }) }

const invalid = (what: string) => (cause: unknown) =>
  new InvalidToken({ message: `${what}: ${cause instanceof Error ? cause.message : String(cause)}` })

const malformed = (what: string) => (error: ParseResult.ParseError) => {
  const path = ParseResult.ArrayFormatter.formatErrorSync(error)[0]?.path.join(".")
  return new InvalidToken({ message: `${what}: ${path ? `'${path}' is invalid` : "unexpected claims"}` })
}

export const makeCrypto = (secretHex: Redacted.Redacted<string>): Effect.Effect<CryptoShape, InvalidSecretKey> =>
  Effect.gen(function*() {
    const hex = Redacted.value(secretHex).trim()
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
      return yield* new InvalidSecretKey({
        message: "PIPEWEAVE_SECRET_KEY must be 64 hex characters (generate one with `openssl rand -hex 32`)"
      })
    }
    const root = Uint8Array.from(Buffer.from(hex, "hex"))
    const encryptionKey = derive(root, "pipeweave storage token encryption")
    const signingKey = derive(root, "pipeweave worker credential signing")
    const seconds = (ms: number) => Math.floor(ms / 1000)

    /**
     * Credentials this instance signed or verified, with their claims: a worker presents its run's
     * credential with every callback and heartbeat, and its signature need not be checked again.
     * Only the expiry is, as a full verification would. Bounded; the oldest are forgotten first.
     */
    const known = new Map<string, { readonly claims: CredentialClaims; readonly exp: number }>()
    const remember = (token: string, claims: CredentialClaims, exp: number) => {
      known.set(token, { claims, exp })
      if (known.size > KNOWN_CREDENTIALS) known.delete(known.keys().next().value!)
      return claims
    }

    const registered = (audience: string, nowMs: number, ttlSeconds: number) => ({
      iss: ISSUER,
      aud: audience,
      iat: seconds(nowMs),
      exp: seconds(nowMs) + ttlSeconds
    })
    const checks = (audience: string, nowMs: number) => ({ issuer: ISSUER, audience, nowSeconds: seconds(nowMs) })

    const sealStorageToken = (grant: StorageGrant, nowMs: number, ttlSeconds: number): string =>
      sealJwe({
        runId: grant.runId,
        tsk: grant.taskId,
        att: grant.attempt,
        scp: grant.scope,
        inp: grant.inputPath,
        backend: grant.backend,
        ...registered(STORAGE_AUDIENCE, nowMs, ttlSeconds)
      }, encryptionKey)

    const openStorageToken = (token: string, nowMs: number): Either.Either<OpenedGrant, InvalidToken> =>
      Either.flatMap(
        Either.try({
          try: () => openJwe(token, encryptionKey, checks(STORAGE_AUDIENCE, nowMs)),
          catch: invalid("storage token rejected")
        }),
        (payload) =>
          Either.match(decodeGrant(payload), {
            onLeft: (error) => Either.left(malformed("storage token malformed")(error)),
            onRight: (g) =>
              Either.right({
                runId: g.runId,
                taskId: g.tsk,
                attempt: g.att,
                scope: g.scp,
                inputPath: g.inp,
                backend: g.backend,
                expiresAtMs: g.exp * 1000
              })
          })
      )

    const signCredential = (claims: CredentialClaims, nowMs: number, ttlSeconds: number): string => {
      const stamped = registered(WORKER_AUDIENCE, nowMs, ttlSeconds)
      const token = signJws(
        claims._tag === "Service"
          ? { kind: "service", sub: claims.serviceId, ...stamped }
          : claims.scope === undefined
          ? { kind: "run", att: claims.attempt, sub: claims.runId, ...stamped }
          : { kind: "run", att: claims.attempt, sub: claims.runId, scp: claims.scope, ...stamped },
        signingKey
      )
      remember(token, claimsOf(claims), stamped.exp)
      return token
    }

    const verifyCredential = (token: string, nowMs: number): Either.Either<CredentialClaims, InvalidToken> => {
      const seen = known.get(token)
      if (seen !== undefined && seen.exp > seconds(nowMs)) return Either.right(seen.claims)
      return Either.flatMap(
        Either.try({
          try: () => verifyJws(token, signingKey, checks(WORKER_AUDIENCE, nowMs)),
          catch: invalid("credential rejected")
        }),
        (payload) =>
          Either.match(decodeClaims(payload), {
            onLeft: (error) => Either.left(malformed("credential malformed")(error)),
            onRight: (c) =>
              Either.right(remember(
                token,
                c.kind === "service"
                  ? { _tag: "Service", serviceId: c.sub }
                  : { _tag: "Run", runId: c.sub, attempt: c.att, ...(c.scp === undefined ? {} : { scope: c.scp }) },
                payload["exp"] as number
              ))
          })
      )
    }

    return {
      sealStorageToken: (grant, nowMs, ttlSeconds) => Effect.sync(() => sealStorageToken(grant, nowMs, ttlSeconds)),
      openStorageToken: (token, nowMs) => Effect.suspend(() => openStorageToken(token, nowMs)),
      signCredential: (claims, nowMs, ttlSeconds) => Effect.sync(() => signCredential(claims, nowMs, ttlSeconds)),
      verifyCredential: (token, nowMs) => Effect.suspend(() => verifyCredential(token, nowMs)),
      sync: { sealStorageToken, openStorageToken, signCredential, verifyCredential }
    }
  })
