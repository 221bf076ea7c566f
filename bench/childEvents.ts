import type { ChildProcess } from "node:child_process"

/** What a bench child (SDK worker or graphile-worker process) reports over its IPC channel. */
export type ChildMessage =
  | readonly ["ready"]
  | readonly ["start", key: string, startMs: number]
  | readonly ["done", key: string]
  | readonly ["stage", key: string, index: number, startMs: number, endMs: number]
  | readonly ["reached", count: number]

/** What the bench asks a child: report once this many jobs have completed. */
export type ParentMessage = readonly ["notify-at", count: number]

/** When one stage handler of a pipeline run began and ended (`sharedNow`). */
export interface StageSpan {
  readonly index: number
  readonly startMs: number
  readonly endMs: number
}

export const send = (message: ChildMessage) => process.send?.(message)

/**
 * A child's side of `notify-at`: the returned function counts one completion; once the count
 * reaches the one the parent asked for, the child reports `reached` (once per request).
 */
export const completionCounter = (): (() => void) => {
  let completed = 0
  let notifyAt = Number.POSITIVE_INFINITY
  const check = () => {
    if (completed < notifyAt) return
    notifyAt = Number.POSITIVE_INFINITY
    send(["reached", completed])
  }
  process.on("message", (message: ParentMessage) => {
    if (message[0] !== "notify-at") return
    notifyAt = message[1]
    check()
  })
  return () => {
    completed++
    check()
  }
}

type Waiter = () => void

/** The parent's side: collects a child's reports and lets the bench wait for them (with deadlines). */
export class ChildEvents {
  readonly starts = new Map<string, number>()
  readonly done = new Set<string>()
  /** Per pipeline run, its stage handlers' spans (`sharedNow`), in the order they ended. */
  readonly stages = new Map<string, Array<StageSpan>>()
  ready = false
  reached = 0
  private waiters = new Set<Waiter>()

  constructor(private readonly child: ChildProcess) {
    child.on("message", (raw) => {
      const message = raw as ChildMessage
      switch (message[0]) {
        case "ready":
          this.ready = true
          break
        case "start":
          this.starts.set(message[1], message[2])
          break
        case "done":
          this.done.add(message[1])
          break
        case "stage":
          this.stages.set(message[1], [
            ...(this.stages.get(message[1]) ?? []),
            { index: message[2], startMs: message[3], endMs: message[4] }
          ])
          break
        case "reached":
          this.reached = Math.max(this.reached, message[1])
          break
      }
      for (const waiter of [...this.waiters]) waiter()
    })
    child.once("exit", () => {
      for (const waiter of [...this.waiters]) waiter()
    })
  }

  ask(message: ParentMessage) {
    this.child.send(message)
  }

  /** Resolves with `check()` once it is defined; fails after `deadlineMs` or when the child exits. */
  until<A>(what: string, check: () => A | undefined, deadlineMs: number): Promise<A> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error, value?: A) => {
        clearTimeout(timer)
        this.waiters.delete(waiter)
        if (error) reject(error)
        else resolve(value as A)
      }
      const waiter = () => {
        const value = check()
        if (value !== undefined) finish(undefined, value)
        else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish(new Error(`child exited while waiting for ${what}`))
        }
      }
      const timer = setTimeout(() => finish(new Error(`timed out after ${deadlineMs} ms waiting for ${what}`)), deadlineMs)
      this.waiters.add(waiter)
      waiter()
    })
  }
}
