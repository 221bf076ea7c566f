import { Effect, Option } from "effect"
import { Transactions } from "../store/Transactions.js"

/** Runs claimed inside another use case's transaction: what to do once that transaction has ended. */
export interface HeldClaim {
  /** It committed: dispatch the runs and free the slots left unused. */
  readonly committed: Effect.Effect<void>
  /** It rolled back: nothing was claimed after all; free every slot. */
  readonly rolledBack: Effect.Effect<void>
  /** Every slot reserved was filled: more runs may be due. */
  readonly full: boolean
}

/** Claims up to `wanted` due runs in the caller's transaction (slots reserved first). */
export type ClaimWithin = (wanted: number) => Effect.Effect<HeldClaim>

/** What `transact` did: the transaction's value, and whether a scheduling pass is still needed. */
export interface Transacted<A> {
  readonly value: A
  readonly passNeeded: boolean
}

/**
 * Lets a transaction that makes runs due (a pipeline trigger, a pipeline task's completion)
 * claim them itself, so that they commit together and are dispatched at once rather than after a
 * wake-up, another scheduling pass and a second commit. The scheduling loop lends its claim here
 * while it runs (standalone mode); without it (serverless mode, where only `POST /api/process`
 * dispatches) nothing is claimed inline.
 */
export class InlineClaims extends Effect.Service<InlineClaims>()("@pipeweave/orchestrator/InlineClaims", {
  effect: Effect.gen(function*() {
    const tx = yield* Transactions
    let lent: Option.Option<ClaimWithin> = Option.none()
    /** Claims in the caller's transaction when a claim is lent; `None` otherwise. */
    const claimWithin = (wanted: number): Effect.Effect<Option.Option<HeldClaim>> =>
      Effect.suspend(() =>
        Option.match(lent, {
          onNone: () => Effect.succeedNone,
          onSome: (claim) => Effect.asSome(claim(wanted))
        })
      )
    return {
      /** Lends `claim` for the lifetime of the caller's scope. */
      lend: (claim: ClaimWithin) =>
        Effect.acquireRelease(
          Effect.sync(() => {
            lent = Option.some(claim)
          }),
          () =>
            Effect.sync(() => {
              lent = Option.none()
            })
        ),
      claimWithin,
      /**
       * `effect` in a transaction that also claims, last, up to `wanted(value)` due runs (when a
       * claim is lent), dispatched once it has committed; a claim that found fewer runs than it
       * could take saw everything due, and then no pass is needed.
       */
      transact: <A, E, R>(effect: Effect.Effect<A, E, R>, wanted: (value: A) => number) =>
        Effect.gen(function*() {
          let held = Option.none<HeldClaim>()
          const value = yield* tx.run(Effect.tap(effect, (value) => {
            const n = wanted(value)
            return n <= 0 ? Effect.void : Effect.map(claimWithin(n), (claim) => {
              held = claim
            })
          })).pipe(Effect.onError(() => Option.match(held, { onNone: () => Effect.void, onSome: (claim) => claim.rolledBack })))
          if (Option.isSome(held)) yield* held.value.committed
          return { value, passNeeded: Option.isNone(held) || held.value.full } satisfies Transacted<A>
        })
    } as const
  })
}) {}
