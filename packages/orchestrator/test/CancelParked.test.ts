import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import * as Config from "../src/Config.js"
import { Cancellations } from "../src/flow/Cancellations.js"
import type { ClaimTiming } from "../src/flow/Dispatcher.js"
import { RunSlots } from "../src/flow/RunSlots.js"
import { Wakeups } from "../src/flow/Wakeups.js"
import type { ClaimedRun } from "../src/store/ClaimedRun.js"
import { IdempotencyKeys } from "../src/store/IdempotencyKeys.js"
import { PipelineRunReads } from "../src/store/PipelineRunReads.js"
import { PipelineRuns } from "../src/store/PipelineRuns.js"
import { TaskRunReads } from "../src/store/TaskRunReads.js"
import { TaskRuns } from "../src/store/TaskRuns.js"
import { Transactions } from "../src/store/Transactions.js"

/**
 * In-memory fakes of the stores (named as such: the database's side of a cancel is tested on both
 * databases in `Cancellation.test.ts`); what is real here is the wiring from an operator's cancel
 * to this process's parked runs.
 */
const stores = Layer.mergeAll(
  Layer.succeed(TaskRuns, { cancel: (id: string) => Effect.succeed({ id }) } as unknown as TaskRuns),
  Layer.succeed(PipelineRuns, { lockOf: () => Effect.succeedNone } as unknown as PipelineRuns),
  Layer.succeed(IdempotencyKeys, { releaseFor: () => Effect.void } as unknown as IdempotencyKeys),
  Layer.succeed(Transactions, { run: (effect) => effect } as Transactions),
  Layer.succeed(TaskRunReads, {
    get: (id: string) => Effect.succeed(Option.some({ id, taskId: "t", pipelineRunId: null, status: "cancelled" }))
  } as unknown as TaskRunReads),
  Layer.succeed(PipelineRunReads, {} as PipelineRunReads)
)

const Env = Cancellations.Default.pipe(
  Layer.provideMerge(RunSlots.Default),
  Layer.provideMerge(Wakeups.Default),
  Layer.provide([stores, Config.layer(Config.defaultConfig({ maxConcurrency: 1 }))])
)

const claim: ClaimTiming = { startedNs: 0n, endedNs: 0n, orchestratorId: "orch_test" }
const parked = (id: string) => ({ run: { id } as ClaimedRun, claim, releaseAtMs: 500 })

describe("cancelling a run claimed ahead", () => {
  it.effect("an operator's cancel drops the run from this process's parked runs: it is never sent", () =>
    Effect.gen(function*() {
      const slots = yield* RunSlots
      yield* slots.park([parked("trun_cancelled"), parked("trun_kept")])
      yield* (yield* Cancellations).cancelTaskRun("trun_cancelled")
      assert.deepStrictEqual((yield* slots.unpark(5)).map((p) => p.run.id), ["trun_kept"])
    }).pipe(Effect.provide(Env)))
})
