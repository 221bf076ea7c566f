/**
 * What a handler returns to choose which of its `allowedNext` tasks run:
 * `return { output: { done: true }, runNext: ["path-a"] }`.
 *
 * A return value is read as a `TaskResult` if and only if it is a plain object whose own keys
 * are a subset of `output` and `runNext` and include `runNext`, an array. Any other value
 * (including `{ output }` alone) is the task's output as a whole. Without `runNext` every
 * `allowedNext` task runs; a name outside `allowedNext` fails the attempt (`INVALID_NEXT`, not
 * retryable).
 */
export interface TaskResult<O = unknown> {
  readonly output: O
  readonly runNext: ReadonlyArray<string>
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** The `TaskResult` rule: a plain object with own keys ⊆ {output, runNext}, including `runNext` (an array). */
export const isTaskResult = (value: unknown): value is TaskResult<unknown> => {
  if (!isPlainObject(value)) return false
  const keys = Object.keys(value)
  return keys.includes("runNext") && keys.every((k) => k === "output" || k === "runNext") &&
    Array.isArray(value["runNext"])
}

/** Splits a handler's return value into the output to store and the selected next tasks. */
export const interpretResult = (
  value: unknown
): { readonly output: unknown; readonly runNext: ReadonlyArray<string> | undefined } =>
  isTaskResult(value) ? { output: value.output, runNext: value.runNext } : { output: value, runNext: undefined }

/** Builds a `TaskResult` and tells one apart from a plain output. */
export const TaskResult = {
  make: <O>(output: O, runNext: ReadonlyArray<string>): TaskResult<O> => ({ output, runNext }),
  is: isTaskResult
} as const
