import { beforeAll, describe, expect, it } from "vitest"
import type { OrchestratorState } from "../../src/lib/OrchestratorStore"

/** Node has no `localStorage`: an in-memory stand-in (named as such), installed before the store loads. */
class InMemoryStorage {
  private readonly items = new Map<string, string>()
  getItem(key: string) {
    return this.items.get(key) ?? null
  }
  setItem(key: string, value: string) {
    this.items.set(key, value)
  }
  removeItem(key: string) {
    this.items.delete(key)
  }
}

let store: typeof import("../../src/lib/OrchestratorStore")
let follow: typeof import("../../src/lib/useOrchestrators")

beforeAll(async () => {
  Object.assign(globalThis, { localStorage: new InMemoryStorage() })
  store = await import("../../src/lib/OrchestratorStore")
  follow = await import("../../src/lib/useOrchestrators")
})

describe("an island following the orchestrator store", () => {
  it("gets a change made between its first render and its subscription, then every later one until it unsubscribes", () => {
    const firstRender = store.getState()
    expect(firstRender.orchestrators).toEqual([])
    // Another island (the sidebar's preset of the serving orchestrator) changes the store meanwhile.
    const added = store.addOrchestrator({ name: "This orchestrator", url: "http://127.0.0.1:3000/" })
    const seen: Array<OrchestratorState> = []
    const unsubscribe = follow.followStore((state) => seen.push(state))
    expect(seen.map((s) => [s.orchestrators.map((o) => o.url), s.selectedId])).toEqual([[["http://127.0.0.1:3000"], added.id]])
    const other = store.addOrchestrator({ name: "other", url: "http://127.0.0.1:3001" })
    expect(seen.at(-1)?.selectedId).toBe(other.id)
    unsubscribe()
    store.selectOrchestrator(added.id)
    expect(seen).toHaveLength(2)
  })
})
