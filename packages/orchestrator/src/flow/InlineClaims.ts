import { Effect, Option } from "effect"
import type { ClaimedRun } from "../store/ClaimedRun.js"
import { Transactions } from "../store/Transactions.js"

/** Runs claimed inside another use case's transaction: what to do once that transaction has ended. */
export interface HeldClaim {
  /** It committed: dispatch the runs and free the slots left unused. */
  readonly committed: Effect.Effect<void>
  /** It rolled back: nothing was claimed after all; free every slot. */
  readonly rolledBack: Effect.Effect<void>
  /** How many runs were claimed. */
  readonly claimed: number
  /** Every slot reserved was filled: more runs may be due. */
  readonly full: boolean
}

/**
 * A write that claims what it writes as it goes (an insert that claims, say): at most `limit` runs,
 * for `orchestratorId`, returned as claimed. With a limit of 0 it only writes.
 */
export type ClaimingWrite<E> = (limit: number, orchestratorId: string) => Effect.Effect<ReadonlyArray<ClaimedRun>, E>

/**
 * How a claiming write claims: `claimsDue`, due runs like a pass (its claim then tells whether more
 * may be due, as a pass's does), and then, outside any transaction, runs claimed ahead earlier are
 * dispatched into the free slots before it writes, and it may claim up to `ahead` more runs than
 * it has slots for, kept for the next slots to come free (`RunSlots.park`).
 */
export interface ClaimingWriteOptions {
  readonly claimsDue?: boolean
  readonly ahead?: number
}

/**
 * Claims up to `wanted` runs in the caller's transaction, slots reserved first: due runs, or, given
 * `write`, the runs that write claims — the runs it writes, or due runs (see `ClaimingWriteOptions`).
 */
export type ClaimWithin = <E = never>(wanted: number, write?: ClaimingWrite<E>, options?: ClaimingWriteOptions) => Effect.Effect<HeldClaim, E>

/** What `transact` did: the transaction's value, and whether a scheduling pass is still needed. */
export interface Transacted<A> {
  readonly value: A
  readonly passNeeded: boolean
}

/**
 * Lets a use case that makes runs due (a submission, a pipeline trigger, a pipeline task's
 * completion) claim them itself, in its own statement or transaction, so that they commit together
 * and are dispatched at once rather than after a wake-up, another scheduling pass and a second
 * commit. The scheduling loop lends its claim here while it runs (standalone mode); without it
 * (serverless mode, where only `POST /api/process` dispatches) nothing is claimed inline.
 */
export class InlineClaims extends Effect.Service<InlineClaims>()("@pipeweave/orchestrator/InlineClaims", {
  effect: Effect.gen(function*() {
    const tx = yield* Transactions
    let lent: Option.Option<ClaimWithin> = Option.none()
    /**
     * Claims in the caller's transaction when a claim is lent; `None` otherwise (and then `write`,
     * if given, still writes, claiming nothing).
     */
    const claimWithin = <E = never>(
      wanted: number,
      write?: ClaimingWrite<E>,
      options?: ClaimingWriteOptions
    ): Effect.Effect<Option.Option<HeldClaim>, E> =>
      Effect.suspend(() =>
        Option.match(lent, {
          onNone: () => write === undefined ? Effect.succeedNone : Effect.as(write(0, ""), Option.none<HeldClaim>()),
          onSome: (claim) => Effect.asSome(claim(wanted, write, options))
        })
      )

    /**
     * Whether a pass is still needed after a claim: always without one; after a claim of due runs,
     * when it filled every slot it reserved (it asks for one more than were made due, so a slot
     * left over shows nothing else was waiting); after a claiming write, when it left some of the
     * `wanted` runs it made due unclaimed.
     */
    const passNeeded = (held: Option.Option<HeldClaim>, wanted: number, claimingWrite: boolean) =>
      Option.match(held, {
        onNone: () => true,
        onSome: (claim) => claimingWrite ? claim.claimed < wanted : claim.full
      })

    /** `transact`'s steps: one generator, made with the service (one made per call costs V8 a new hidden class). */
    function* transactSteps<A, E, R>(effect: Effect.Effect<A, E, R>, wanted: (value: A) => number) {
      let held = Option.none<HeldClaim>()
      let n = 0
      const value = yield* tx.run(Effect.tap(effect, (value) => {
        n = Math.max(wanted(value), 0)
        if (n === 0) return Effect.void
        return Effect.map(claimWithin(n + 1), (claim) => {
          held = claim
        })
      })).pipe(Effect.onError(() => Option.match(held, { onNone: () => Effect.void, onSome: (claim) => claim.rolledBack })))
      if (Option.isSome(held)) yield* held.value.committed
      return { value, passNeeded: n === 0 ? false : passNeeded(held, n, false) } satisfies Transacted<A>
    }

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
       * `effect` in a transaction that also claims, last (when a claim is lent), the `wanted(value)`
       * runs it made due (up to one more, which tells whether others were waiting), dispatched once
       * it has committed. A transaction that made nothing due needs no pass.
       */
      transact: <A, E, R>(effect: Effect.Effect<A, E, R>, wanted: (value: A) => number): Effect.Effect<Transacted<A>, E, R> =>
        Effect.gen(() => transactSteps(effect, wanted)),
      /**
       * A single statement that writes `wanted` due runs and claims up to as many of them as it
       * does (when a claim is lent; otherwise it only writes), dispatched once it has run (not
       * interrupted in between, so nothing claimed is left undispatched); whether a pass is still
       * needed for the ones it left.
       */
      claimingWrite: <E>(wanted: number, write: ClaimingWrite<E>): Effect.Effect<{ readonly passNeeded: boolean }, E> =>
        Effect.uninterruptible(Effect.flatMap(claimWithin(wanted, write), (held) =>
          Effect.as(Option.isSome(held) ? held.value.committed : Effect.void, { passNeeded: passNeeded(held, wanted, true) })))
    } as const
  })
}) {}
