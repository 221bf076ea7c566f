import { Effect, Queue } from "effect"

/**
 * Tells the scheduling loop that due work may exist (a run queued, a result routed, a slot freed).
 * Wake-ups coalesce: many before the next pass make one pass.
 */
export class Wakeups extends Effect.Service<Wakeups>()("@pipeweave/orchestrator/Wakeups", {
  effect: Effect.map(Queue.sliding<void>(1), (queue) => ({
    wake: Effect.asVoid(Queue.offer(queue, undefined)),
    next: Queue.take(queue)
  }))
}) {}
