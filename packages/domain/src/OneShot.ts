import { Effect, type Exit } from "effect"

/**
 * An outcome settled once and awaited by one fiber: what `Deferred` is for, on paths taken once per
 * run. Effect 3's `Deferred.unsafeMake` builds each instance as an object literal that begins with
 * a spread, which Node 20's V8 gives a new hidden class per instance (four map transitions, each
 * object then kept until a full collection); an instance of this class shares one.
 */
export class OneShot<A, E = never> {
  private outcome: Exit.Exit<A, E> | undefined = undefined
  private waiter: ((outcome: Exit.Exit<A, E>) => void) | undefined = undefined

  /** Settles it with `outcome`, waking its waiter; once settled, later calls change nothing. */
  done(outcome: Exit.Exit<A, E>): void {
    if (this.outcome !== undefined) return
    this.outcome = outcome
    const waiter = this.waiter
    this.waiter = undefined
    if (waiter !== undefined) waiter(outcome)
  }

  /** Its outcome, once settled. For one waiter at a time; an interrupted wait leaves it unsettled. */
  await(): Effect.Effect<A, E> {
    return Effect.async<A, E>((resume) => {
      if (this.outcome !== undefined) return resume(this.outcome)
      this.waiter = resume
      return Effect.sync(() => {
        if (this.waiter === resume) this.waiter = undefined
      })
    })
  }
}
