import { PipelineStructure } from "@pipeweave/domain/pipeline/PipelineStructure"
import { Effect, Schema } from "effect"
import { BoundedMap } from "./BoundedMap.js"

const CAPACITY = 1000
const decode = Schema.decodeUnknown(PipelineStructure)

/**
 * Decoded structure snapshots of pipeline runs. A snapshot never changes once the run is
 * triggered, so each is decoded once and kept (the oldest are forgotten first).
 */
export class StructureCache extends Effect.Service<StructureCache>()("@pipeweave/orchestrator/StructureCache", {
  sync: () => {
    const cache = new BoundedMap<string, PipelineStructure>(CAPACITY)
    return {
      /** The snapshot of `pipelineRunId` if it is decoded already. */
      peek: (pipelineRunId: string): PipelineStructure | undefined => cache.get(pipelineRunId),
      get: (pipelineRunId: string, raw: unknown) =>
        Effect.suspend(() => {
          const hit = cache.get(pipelineRunId)
          if (hit !== undefined) return Effect.succeed(hit)
          return decode(raw).pipe(
            Effect.orDie,
            Effect.tap((structure) => Effect.sync(() => cache.set(pipelineRunId, structure)))
          )
        })
    }
  }
}) {}
