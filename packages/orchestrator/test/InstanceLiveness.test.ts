import { assert, layer } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { DeadlineSweep } from "../src/flow/DeadlineSweep.js"
import { Registrations } from "../src/flow/Registrations.js"
import { services } from "../src/Orchestrator.js"
import { Registry } from "../src/store/Registry.js"
import { LAST_SEEN_RESOLUTION_SECONDS, TaskRuns } from "../src/store/TaskRuns.js"
import { registration, task } from "./support/fixtures.js"
import { databases } from "./support/TestDatabase.js"
import { testSettings } from "./support/TestOrchestrator.js"

const A = "http://127.0.0.1:9101"
const B = "http://127.0.0.1:9102"

const instances = Effect.gen(function*() {
  const all = yield* (yield* Registry).services
  return new Map(all.find((s) => s.serviceId === "svc-live")!.instances.map((i) => [i.baseUrl, i]))
})

for (const [name, database] of databases) {
  layer(services(testSettings(), database()), { timeout: "120 seconds" })(`instance liveness under TestClock (${name})`, (it) => {
    it.effect("heartbeats move lastSeenAt (at most once per 15 s), deregistration marks unreachable, pruning removes it after the age", () =>
      Effect.gen(function*() {
        const registrations = yield* Registrations
        yield* registrations.register(registration("svc-live", [task("live")], { baseUrl: A }))
        yield* registrations.register(registration("svc-live", [task("live")], { baseUrl: B }))
        const registeredAt = (yield* instances).get(A)!.lastSeenAt.getTime()
        const runs = yield* TaskRuns
        yield* runs.insert([{
          id: "trun_live00001",
          taskId: "live",
          pipelineRunId: null,
          status: "pending",
          priority: 100,
          retries: 0,
          storageBackend: "local",
          inputPath: "standalone/trun_live00001/input.json",
          inputInline: null,
          metadata: undefined
        }])
        const [claimed] = yield* runs.claim(10, "orch_test")
        const busy = claimed!.workerUrl!
        const idle = busy === A ? B : A

        yield* TestClock.adjust((LAST_SEEN_RESOLUTION_SECONDS + 5) * 1000)
        yield* runs.heartbeat(claimed!.id, 1)
        const firstBeat = registeredAt + (LAST_SEEN_RESOLUTION_SECONDS + 5) * 1000
        assert.strictEqual((yield* instances).get(busy)!.lastSeenAt.getTime(), firstBeat)
        yield* TestClock.adjust(5000)
        yield* runs.heartbeat(claimed!.id, 1)
        assert.strictEqual((yield* instances).get(busy)!.lastSeenAt.getTime(), firstBeat, "no rewrite within 15 s")
        yield* TestClock.adjust(LAST_SEEN_RESOLUTION_SECONDS * 1000)
        yield* runs.heartbeat(claimed!.id, 1)
        const secondBeat = firstBeat + 5000 + LAST_SEEN_RESOLUTION_SECONDS * 1000
        assert.strictEqual((yield* instances).get(busy)!.lastSeenAt.getTime(), secondBeat)
        assert.strictEqual((yield* instances).get(idle)!.lastSeenAt.getTime(), registeredAt)

        assert.isTrue(yield* (yield* Registry).deregister("svc-live", idle))
        assert.isFalse(yield* (yield* Registry).deregister("svc-other", busy), "only the service's own instance")
        const leftAt = (yield* instances).get(idle)!.unreachableSince
        assert.strictEqual(leftAt?.getTime(), secondBeat)
        assert.strictEqual((yield* instances).get(busy)!.unreachableSince, null)

        const sweep = yield* DeadlineSweep
        yield* TestClock.adjust(3600 * 1000)
        assert.strictEqual(yield* sweep.pruneInstances, 0)
        yield* TestClock.adjust(1)
        assert.strictEqual(yield* sweep.pruneInstances, 1)
        const left = yield* instances
        assert.deepStrictEqual([...left.keys()], [busy], "the reachable instance stays however long it is silent")
      }))
  })
}
