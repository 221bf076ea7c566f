import type { CallbackPayload } from "@pipeweave/domain/Callback"
import { Callbacks } from "@pipeweave/orchestrator/flow/Callbacks"
import { TaskRuns } from "@pipeweave/orchestrator/store/TaskRuns"
import { StorageBackends } from "@pipeweave/storage/StorageBackends"
import { Effect, Fiber, Schedule } from "effect"

/** How the test worker ends an attempt of a task: success (the default), or a failure. */
export type Outcome =
  | { readonly status: "success" }
  | {
    readonly status: "failure"
    readonly error: string
    readonly errorCode?: string
    readonly retryable?: boolean
    readonly details?: unknown
  }

/** A run the test worker settled. */
export interface Settled {
  readonly runId: string
  readonly taskId: string
  readonly pipelineRunId: string | null
}

const payloadFor = (runId: string, scope: string, attempt: number, outcome: Outcome) =>
  Effect.gen(function*() {
    if (outcome.status === "failure") {
      return { attempt, retryable: true, ...outcome } satisfies CallbackPayload
    }
    const outputPath = `runs/${scope}/outputs/${runId}.json`
    const body = JSON.stringify({ from: runId })
    yield* (yield* StorageBackends).default.put(outputPath, body, "application/json")
    return { status: "success", attempt, outputPath, outputSize: body.length, assets: {} } satisfies CallbackPayload
  })

/**
 * Plays the worker while `effect` runs: claims every due run every 20 ms and reports the
 * outcome `outcomes` gives its task (success otherwise). `settled` collects what it ran.
 */
export const withWorker = <A, E, R>(
  outcomes: Record<string, Outcome>,
  effect: Effect.Effect<A, E, R>,
  settled: Array<Settled> = []
) =>
  Effect.gen(function*() {
    const queue = yield* TaskRuns
    const callbacks = yield* Callbacks
    const pass = Effect.flatMap(queue.claim(10, "orch_cli_test"), (claims) =>
      Effect.forEach(claims, (run) =>
        Effect.gen(function*() {
          const outcome = outcomes[run.taskId] ?? { status: "success" }
          const payload = yield* payloadFor(run.id, run.pipelineRunId ?? run.id, run.attempt, outcome)
          yield* callbacks.apply(run.id, payload)
          settled.push({ runId: run.id, taskId: run.taskId, pipelineRunId: run.pipelineRunId })
        }), { discard: true }))
    const worker = yield* Effect.fork(pass.pipe(Effect.orDie, Effect.repeat(Schedule.spaced("20 millis"))))
    return yield* Effect.ensuring(effect, Fiber.interrupt(worker))
  })
