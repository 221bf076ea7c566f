import { timingSafeEqual } from "node:crypto"
import { Unauthorized } from "@pipeweave/domain/Errors"
import { ManagementAuth, WorkerAuth } from "@pipeweave/domain/api/Security"
import { Crypto } from "@pipeweave/storage/Crypto"
import { Clock, Effect, Layer, Option, Redacted } from "effect"
import { OrchestratorConfig } from "../Config.js"

/** Verifies the Bearer credential of worker calls (signed with the key derived from the shared secret). */
export const WorkerAuthLive = Layer.effect(
  WorkerAuth,
  Effect.gen(function*() {
    const crypto = yield* Crypto
    return {
      bearer: (token) =>
        Effect.gen(function*() {
          const value = Redacted.value(token)
          if (value.length === 0) {
            return yield* new Unauthorized({ message: "missing Authorization: Bearer <worker credential>" })
          }
          return yield* crypto.verifyCredential(value, yield* Clock.currentTimeMillis).pipe(
            Effect.mapError(() =>
              new Unauthorized({
                message: "invalid worker credential (is PIPEWEAVE_SECRET_KEY the same on worker and orchestrator?)"
              })
            )
          )
        })
    }
  })
)

const sameSecret = (a: string, b: string): boolean => {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Whether `token` opens the management API: any does while `PIPEWEAVE_API_TOKEN` is unset. */
export const managementTokenAccepted = (apiToken: Option.Option<Redacted.Redacted<string>>, token: string): boolean =>
  Option.match(apiToken, { onNone: () => true, onSome: (expected) => sameSecret(token, Redacted.value(expected)) })

/** Requires `PIPEWEAVE_API_TOKEN` as Bearer token on the management API when it is set. */
export const ManagementAuthLive = Layer.effect(
  ManagementAuth,
  Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    return {
      bearer: (token) =>
        managementTokenAccepted(config.apiToken, Redacted.value(token))
          ? Effect.void
          : Effect.fail(new Unauthorized({ message: "missing or wrong Authorization: Bearer <PIPEWEAVE_API_TOKEN>" }))
    }
  })
)
