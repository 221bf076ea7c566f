import { Clock, Effect, FiberSet } from "effect"
import { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { OrchestratorIdentity } from "../OrchestratorIdentity.js"
import { TaskRuns } from "../store/TaskRuns.js"
import type { ClaimedRun } from "../store/ClaimedRun.js"
import { type ClaimTiming, type DispatchOutcome, Dispatcher } from "./Dispatcher.js"
import { groupByInstance } from "./DispatchGroups.js"
import type { ClaimingWrite, ClaimWithin, HeldClaim } from "./InlineClaims.js"
import { RunSlots } from "./RunSlots.js"
import { pendingIo } from "@pipeweave/domain/PendingIo"
import * as Spans from "@pipeweave/domain/Spans"

const CLAIM_BATCH = 50

/** What one scheduling pass did. */
export interface PassResult {
  readonly claimed: number
  readonly dispatched: ReadonlyArray<string>
}

/**
 * Claim-and-dispatch: claims due runs and dispatches them, a fiber per request (the runs of one
 * pass for one instance that takes grouped dispatches go in one request), never holding more
 * than `MAX_CONCURRENCY` runs in this process (`RunSlots`, whose free slots size each claim). A
 * run's slot comes free when its callback is accepted or, if that did not happen first, when its
 * dispatch ends; then the loop is woken.
 */
export class SchedulingPass extends Effect.Service<SchedulingPass>()("@pipeweave/orchestrator/SchedulingPass", {
  scoped: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const dispatcher = yield* Dispatcher
    const metrics = yield* OrchestratorMetrics
    const { id: orchestratorId } = yield* OrchestratorIdentity
    const slots = yield* RunSlots
    const dispatches = yield* FiberSet.make()
    const { release, reserve } = slots

    /**
     * Claims up to `wanted` runs, with slots reserved first: due runs, or those `write` claims as it
     * writes (it runs even when no slot is free, claiming nothing then; with `claimsDue` it claims
     * due runs, and its claim is recorded as a pass's is); the slots of runs not found are freed.
     */
    const claimDue = <E = never>(wanted: number, write?: ClaimingWrite<E>, claimsDue = false) =>
      Effect.gen(function*() {
        const reserved = yield* reserve(wanted)
        if (reserved === 0 && write === undefined) {
          yield* slots.claimed(0, 0)
          return { reserved, claimed: [] as ReadonlyArray<ClaimedRun>, claim: undefined }
        }
        const startedNs = yield* Clock.currentTimeNanos
        const claimed = yield* (write === undefined ? taskRuns.claim(reserved, orchestratorId) : write(reserved, orchestratorId))
          .pipe(Effect.onError(() => release(reserved)))
        yield* slots.hold(claimed.map((run) => run.id))
        if (write === undefined || claimsDue) yield* slots.claimed(reserved, claimed.length)
        const endedNs = yield* Clock.currentTimeNanos
        return { reserved, claimed, claim: { startedNs, endedNs, orchestratorId } satisfies ClaimTiming }
      })

    /**
     * Dispatches claimed runs, a fiber per request (one request per instance that takes groups);
     * each frees its slot when done, unless its result did first. The fibers stay interruptible
     * (at shutdown) even when forked from a region that is not.
     */
    const dispatchClaimed = (claimed: ReadonlyArray<ClaimedRun>, claim: ClaimTiming) =>
      Effect.gen(function*() {
        yield* metrics.claimed(Number(claim.endedNs - claim.startedNs) / 1e6, claimed, Number(claim.endedNs / 1_000_000n))
        const settle = (runId: string) => (outcome: Effect.Effect<DispatchOutcome>) =>
          outcome.pipe(
            Effect.tap(metrics.dispatched),
            Effect.ensuring(slots.free([runId]))
          )
        const delivered = (runs: ReadonlyArray<ClaimedRun>) =>
          Effect.zipRight(metrics.dispatched("delivered", runs.length), slots.free(runs.map((run) => run.id)))
        const { groups, singles } = groupByInstance(claimed)
        for (const run of singles) {
          if (run.workerUrl !== null) yield* metrics.dispatchRequest("single")
          yield* FiberSet.run(dispatches, Effect.interruptible(settle(run.id)(dispatcher.dispatch(run, claim))))
        }
        for (const { runs, workerUrl } of groups) {
          yield* metrics.dispatchRequest("group")
          yield* FiberSet.run(
            dispatches,
            Effect.interruptible(dispatcher.dispatchGroup(runs, workerUrl, claim, (run) => settle(run.id), delivered))
          )
        }
      })

    const pass: Effect.Effect<PassResult> = Effect.gen(function*() {
      const dispatched: Array<string> = []
      for (;;) {
        const { claim, claimed, reserved } = yield* claimDue(CLAIM_BATCH)
        if (claim === undefined) break
        yield* release(reserved - claimed.length)
        for (const run of claimed) dispatched.push(run.id)
        yield* dispatchClaimed(claimed, claim)
        if (claimed.length < reserved) break
      }
      return { claimed: dispatched.length, dispatched }
    }).pipe(Spans.withSpan("SchedulingPass.pass"))

    /**
     * `pass`'s claim inside a caller's transaction (see `InlineClaims`): dispatched only once it has
     * committed, and sent before the caller goes on (`pendingIo`: its answer to its own request can
     * wait; the dispatches are what the runs wait for).
     */
    const claimWithin: ClaimWithin = (wanted, write, claimsDue) =>
      Effect.map(claimDue(Math.min(wanted, CLAIM_BATCH), write, claimsDue), ({ claim, claimed, reserved }): HeldClaim => ({
        committed: Effect.zipRight(
          release(reserved - claimed.length),
          claim === undefined || claimed.length === 0
            ? Effect.void
            : Effect.zipRight(Effect.withTracerEnabled(dispatchClaimed(claimed, claim), false), pendingIo)
        ),
        rolledBack: Effect.zipRight(slots.free(claimed.map((run) => run.id)), release(reserved - claimed.length)),
        claimed: claimed.length,
        full: claimed.length === reserved
      }))

    return { pass, claimWithin } as const
  })
}) {}
