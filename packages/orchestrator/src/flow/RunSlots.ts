import { Effect, STM, TSemaphore } from "effect"
import { OrchestratorConfig } from "../Config.js"
import type { ClaimedRun } from "../store/ClaimedRun.js"
import type { ClaimTiming } from "./Dispatcher.js"
import { Wakeups } from "./Wakeups.js"

/** A run claimed ahead of a free slot, waiting for one until `releaseAtMs` (then it goes back to pending). */
export interface ParkedRun {
  readonly run: ClaimedRun
  readonly claim: ClaimTiming
  readonly releaseAtMs: number
}

/** Sends runs claimed ahead that now hold a slot (see `RunSlots.sendParkedWith`). */
export type SendParked = (runs: ReadonlyArray<ParkedRun>) => void

/**
 * This process's `MAX_CONCURRENCY` slots: a transactional semaphore whose free permits size each
 * claim, and the runs holding one. A claimed run holds its slot until its callback is accepted
 * (authenticated and in scope: the worker is done with it, so the next claim need not wait for the
 * result's write) or its dispatch ends, whichever comes first; freeing is idempotent per run, so the
 * slots of a group of callbacks come free together, with one wake-up of the scheduling loop — and
 * only when the latest claim of due runs filled every slot it had (or had none): otherwise it left
 * a slot unused because nothing more was due, and a freed slot has no run to take it. It also
 * keeps the runs claimed ahead of a free slot (`park`), first in first out: a freed slot goes
 * straight to the run that has waited longest, which is sent at once (`sendParkedWith`) rather than
 * when the next statement or pass gets to it; a slot freed while none waits wakes the loop as above.
 */
export class RunSlots extends Effect.Service<RunSlots>()("@pipeweave/orchestrator/RunSlots", {
  effect: Effect.gen(function*() {
    const config = yield* OrchestratorConfig
    const wakeups = yield* Wakeups
    const semaphore = yield* TSemaphore.make(config.maxConcurrency)
    const held = new Set<string>()
    let parked: Array<ParkedRun> = []
    let claimsWereShort = true
    let sendParked: SendParked | undefined

    /** Takes up to `wanted` free slots; how many it took. */
    const reserve = (wanted: number) =>
      STM.commit(STM.flatMap(TSemaphore.available(semaphore), (available) => {
        const free = Math.min(wanted, available)
        return free > 0 ? STM.as(TSemaphore.acquireN(semaphore, free), free) : STM.succeed(free)
      }))

    /** Gives back `n` reserved slots no run holds. */
    const release = (n: number) => n > 0 ? STM.commit(TSemaphore.releaseN(semaphore, n)) : Effect.void

    /** The claimed runs that now hold one reserved slot each. */
    const hold = (runIds: ReadonlyArray<string>) =>
      Effect.sync(() => {
        for (const id of runIds) held.add(id)
      })

    /**
     * Records how a claim of due runs went: `claimed` runs in the `reserved` slots it had (a write
     * that claims what it writes says nothing of other due runs; whatever it leaves wakes a pass).
     */
    const claimed = (reserved: number, claimed: number) =>
      Effect.sync(() => {
        claimsWereShort = claimed >= reserved
      })

    /** Gives up to `n` slots, just freed, to the runs that have waited longest, and sends them; how many are left. */
    const handOff = (n: number): number => {
      if (n === 0 || parked.length === 0 || sendParked === undefined) return n
      const taking = parked.splice(0, n)
      for (const { run } of taking) held.add(run.id)
      sendParked(taking)
      return n - taking.length
    }

    /** Frees the slots `runIds` still hold, handing them to waiting runs first; how many came free. */
    const releaseHeld = (runIds: ReadonlyArray<string>) =>
      Effect.suspend(() => {
        let n = 0
        for (const id of runIds) if (held.delete(id)) n++
        const left = handOff(n)
        return Effect.as(release(left), left)
      })

    /**
     * Frees the slots `runIds` still hold and, if any came free (no waiting run took them) and the
     * latest claim was short of slots, wakes the scheduling loop.
     */
    const free = (runIds: ReadonlyArray<string>) =>
      Effect.flatMap(releaseHeld(runIds), (n) => n > 0 && (claimsWereShort || parked.length > 0) ? wakeups.wake : Effect.void)

    /**
     * Frees the slots `runIds` still hold for `write`, the write of their results, which may claim
     * the next runs into them (`CompletionBatches`): the loop is woken after it, if slots were freed
     * and the latest claim (the write's own, if it claimed) was still short of slots, rather than
     * before it, when a pass would take the slots first and claim in a statement of its own.
     */
    const freeFor = (runIds: ReadonlyArray<string>) => <A, E, R>(write: Effect.Effect<A, E, R>) =>
      Effect.flatMap(releaseHeld(runIds), (n) =>
        n === 0 ? write : Effect.ensuring(write, Effect.suspend(() => claimsWereShort ? wakeups.wake : Effect.void)))

    /** How waiting runs are sent once a freed slot is theirs, for the lifetime of the caller's scope. */
    const sendParkedWith = (send: SendParked) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          sendParked = send
        }),
        () =>
          Effect.sync(() => {
            if (sendParked === send) sendParked = undefined
          })
      )

    /** Keeps runs claimed ahead of a free slot, after those already waiting. */
    const park = (runs: ReadonlyArray<ParkedRun>) =>
      Effect.sync(() => {
        parked.push(...runs)
      })

    /** Takes the `n` runs that have waited longest (fewer if fewer wait). */
    const unpark = (n: number) =>
      Effect.sync((): ReadonlyArray<ParkedRun> => n <= 0 || parked.length === 0 ? [] : parked.splice(0, n))

    /** Takes the waiting runs whose time is up at `nowMs`. */
    const unparkExpired = (nowMs: number) =>
      Effect.sync((): ReadonlyArray<ParkedRun> => {
        const expired = parked.filter((p) => p.releaseAtMs <= nowMs)
        if (expired.length > 0) parked = parked.filter((p) => p.releaseAtMs > nowMs)
        return expired
      })

    /** Drops the waiting runs among `runIds` (cancelled: they are not to be dispatched); how many. */
    const dropParked = (runIds: ReadonlyArray<string>) =>
      Effect.sync(() => {
        if (parked.length === 0) return 0
        const ids = new Set(runIds)
        const before = parked.length
        parked = parked.filter((p) => !ids.has(p.run.id))
        return before - parked.length
      })

    /** How many runs wait. */
    const parkedCount = () => parked.length

    /** The earliest time a waiting run is due to go back (undefined when none waits). */
    const nextParkedRelease = () => parked.length === 0 ? undefined : Math.min(...parked.map((p) => p.releaseAtMs))

    return {
      reserve,
      release,
      hold,
      claimed,
      free,
      freeFor,
      sendParkedWith,
      park,
      unpark,
      unparkExpired,
      dropParked,
      parkedCount,
      nextParkedRelease
    } as const
  })
}) {}
