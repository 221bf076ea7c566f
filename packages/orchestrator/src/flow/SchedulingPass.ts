import { Clock, Effect, FiberSet } from "effect"
import { OrchestratorMetrics } from "../metrics/OrchestratorMetrics.js"
import { OrchestratorIdentity } from "../OrchestratorIdentity.js"
import { TaskRuns } from "../store/TaskRuns.js"
import type { ClaimedRun } from "../store/ClaimedRun.js"
import { type ClaimTiming, type DispatchOutcome, Dispatcher } from "./Dispatcher.js"
import { groupByInstance } from "./DispatchGroups.js"
import type { ClaimingWrite, ClaimingWriteOptions, ClaimWithin, HeldClaim } from "./InlineClaims.js"
import { type ParkedRun, RunSlots } from "./RunSlots.js"
import { ParkedRuns } from "./ParkedRuns.js"
import { pendingIo } from "@pipeweave/domain/PendingIo"
import * as Spans from "@pipeweave/domain/Spans"

const CLAIM_BATCH = 50
/** What one scheduling pass did. */
export interface PassResult {
  readonly claimed: number
  readonly dispatched: ReadonlyArray<string>
}

/** Runs of one claim, in order, each group sharing its claim's timing. */
const byClaim = (parked: ReadonlyArray<ParkedRun>) => {
  const groups: Array<{ claim: ClaimTiming; runs: Array<ClaimedRun> }> = []
  for (const { claim, run } of parked) {
    const last = groups.at(-1)
    if (last !== undefined && last.claim === claim) last.runs.push(run)
    else groups.push({ claim, runs: [run] })
  }
  return groups
}

/**
 * Claim-and-dispatch: claims due runs and dispatches them, a fiber per request (the runs of one
 * pass for one instance that takes grouped dispatches go in one request), never holding more
 * than `MAX_CONCURRENCY` runs in this process (`RunSlots`, whose free slots size each claim). A
 * run's slot comes free when its callback is accepted or, if that did not happen first, when its
 * dispatch ends; then the loop is woken. A completion's statement may claim runs ahead of free
 * slots (see `ClaimingWriteOptions`): they wait in `RunSlots` and take the next free slots before
 * any new claim, or go back to pending (`ParkedRuns`).
 */
export class SchedulingPass extends Effect.Service<SchedulingPass>()("@pipeweave/orchestrator/SchedulingPass", {
  scoped: Effect.gen(function*() {
    const taskRuns = yield* TaskRuns
    const dispatcher = yield* Dispatcher
    const metrics = yield* OrchestratorMetrics
    const { id: orchestratorId } = yield* OrchestratorIdentity
    const slots = yield* RunSlots
    const { park } = yield* ParkedRuns
    const dispatches = yield* FiberSet.make()
    const { release, reserve } = slots

    /** Sends claimed runs to their workers, a fiber per request (one per instance that takes groups); see `dispatchClaimed`. */
    const send = Effect.fnUntraced(function*(claimed: ReadonlyArray<ClaimedRun>, claim: ClaimTiming) {
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

    /** Records a claim's runs in the metrics. */
    const recordClaim = (claimed: ReadonlyArray<ClaimedRun>, claim: ClaimTiming) =>
      metrics.claimed(Number(claim.endedNs - claim.startedNs) / 1e6, claimed, Number(claim.endedNs / 1_000_000n))

    /**
     * Dispatches claimed runs, a fiber per request (one request per instance that takes groups);
     * each frees its slot when done, unless its result did first. The fibers stay interruptible
     * (at shutdown) even when forked from a region that is not.
     */
    const dispatchClaimed = (claimed: ReadonlyArray<ClaimedRun>, claim: ClaimTiming) =>
      Effect.zipRight(recordClaim(claimed, claim), send(claimed, claim))

    /** Runs claimed ahead whose slot came free (`RunSlots.handOff`) leave at once, in fibers of this service's own context. */
    const runDispatch = yield* FiberSet.runtime(dispatches)<never>()
    yield* slots.sendParkedWith((parked) => {
      runDispatch(Effect.withTracerEnabled(Effect.forEach(byClaim(parked), ({ claim, runs }) => send(runs, claim), { discard: true }), false))
    })

    /** Dispatches up to `n` parked runs, each into a slot reserved for it; the runs. */
    const dispatchParked = Effect.fnUntraced(function*(n: number) {
      const parked = yield* slots.unpark(n)
      if (parked.length === 0) return parked
      yield* slots.hold(parked.map(({ run }) => run.id))
      for (const { claim, runs } of byClaim(parked)) yield* send(runs, claim)
      return parked
    })

    /** `claimDue`'s steps: one generator, made with the service (one made per call costs V8 a new hidden class). */
    function* claimDueSteps<E>(
      wanted: number,
      write: ClaimingWrite<E> | undefined,
      options: ClaimingWriteOptions,
      parkedFirst: boolean
    ) {
      const claimsDue = options.claimsDue === true
      const slotsReserved = yield* reserve(wanted)
      const early = parkedFirst ? yield* dispatchParked(slotsReserved) : []
      const reserved = slotsReserved - early.length
      const waiting = slots.parkedCount()
      const extra = claimsDue ? Math.max(0, (options.ahead ?? 0) - waiting) : 0
      if (reserved === 0 && write === undefined) {
        yield* slots.claimed(slotsReserved, early.length)
        return { early, reserved, claimed: [] as ReadonlyArray<ClaimedRun>, later: [] as ReadonlyArray<ClaimedRun>, claim: undefined }
      }
      const startedNs = yield* Clock.currentTimeNanos
      const written = yield* (write === undefined ? taskRuns.claim(reserved, orchestratorId) : write(reserved + extra, orchestratorId))
        .pipe(Effect.onError(() => release(reserved)))
      const claimed = written.slice(0, reserved)
      yield* slots.hold(claimed.map((run) => run.id))
      if (write === undefined || claimsDue) yield* slots.claimed(slotsReserved, early.length + claimed.length)
      const endedNs = yield* Clock.currentTimeNanos
      return {
        early,
        reserved,
        claimed,
        later: written.slice(reserved),
        claim: { startedNs, endedNs, orchestratorId } satisfies ClaimTiming
      }
    }
    /**
     * Claims up to `wanted` runs, with slots reserved first: due runs, or those `write` claims as it
     * writes (it runs even when no slot is free, claiming nothing then; with `claimsDue` it claims
     * due runs, and its claim is recorded as a pass's is); the slots of runs not found are freed.
     * With `parkedFirst` (a pass, or a write with `claimsDue`: neither inside a transaction, whose
     * connection the dispatch fibers would inherit), parked runs are dispatched into the slots
     * first (`early`); the write may claim `ahead` runs more than it has slots for (`later`, to
     * park once committed).
     */
    const claimDue = <E = never>(
      wanted: number,
      write?: ClaimingWrite<E>,
      options: ClaimingWriteOptions = {},
      parkedFirst = options.claimsDue === true
    ) => Effect.gen(() => claimDueSteps(wanted, write, options, parkedFirst))

    const pass: Effect.Effect<PassResult> = Effect.gen(function*() {
      const dispatched: Array<string> = []
      for (;;) {
        const { claim, claimed, early, reserved } = yield* claimDue(CLAIM_BATCH, undefined, {}, true)
        for (const { run } of early) dispatched.push(run.id)
        if (claim === undefined) {
          if (early.length > 0) continue
          break
        }
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
     * wait; the dispatches are what the runs wait for). Runs claimed ahead are parked then.
     */
    const claimWithin: ClaimWithin = (wanted, write, options) =>
      Effect.map(claimDue(Math.min(wanted, CLAIM_BATCH), write, options), ({ claim, claimed, later, reserved }): HeldClaim => ({
        committed: Effect.zipRight(
          release(reserved - claimed.length),
          claim === undefined || claimed.length + later.length === 0
            ? Effect.void
            : Effect.zipRight(
              Effect.withTracerEnabled(
                Effect.all([recordClaim([...claimed, ...later], claim), send(claimed, claim), park(later, claim)], { discard: true }),
                false
              ),
              pendingIo
            )
        ),
        rolledBack: Effect.zipRight(slots.free(claimed.map((run) => run.id)), release(reserved - claimed.length)),
        claimed: claimed.length,
        full: claimed.length === reserved
      }))

    return { pass, claimWithin } as const
  })
}) {}
