import { Effect, Option } from "effect"

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

/**
 * Lets a result's transaction claim the runs it made due (a pipeline's next tasks) itself, so that
 * they commit together and are dispatched at once rather than after another scheduling pass. The
 * scheduling loop lends its claim here while it runs (standalone mode); without it (serverless
 * mode, where only `POST /api/process` dispatches) nothing is claimed inline.
 */
export class InlineClaims extends Effect.Service<InlineClaims>()("@pipeweave/orchestrator/InlineClaims", {
  sync: () => {
    let lent: Option.Option<ClaimWithin> = Option.none()
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
      /** Claims in the caller's transaction when a claim is lent; `None` otherwise. */
      claimWithin: (wanted: number): Effect.Effect<Option.Option<HeldClaim>> =>
        Effect.suspend(() =>
          Option.match(lent, {
            onNone: () => Effect.succeedNone,
            onSome: (claim) => Effect.asSome(claim(wanted))
          })
        )
    } as const
  }
}) {}
