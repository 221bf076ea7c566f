import * as DomainErrors from "@pipeweave/domain/TaskErrors"
import { Predicate } from "effect"
import * as AttemptErrors from "./AttemptErrors.js"
import * as PromiseErrors from "./TaskErrors.js"

const { ErrorCodes } = DomainErrors

/** How a failed attempt is reported in its callback. */
export interface FailureReport {
  readonly error: string
  readonly errorCode?: string
  readonly retryable: boolean
  readonly retryAfterMs?: number
  readonly details?: unknown
}

const messageOf = (error: unknown): string => {
  if (error instanceof Error) return error.message || error.name
  if (Predicate.hasProperty(error, "message") && typeof error.message === "string") return error.message
  if (typeof error === "string") return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

const jsonSafe = (value: unknown): unknown => {
  try {
    const text = JSON.stringify(value)
    return text === undefined ? undefined : JSON.parse(text)
  } catch {
    return String(value)
  }
}

const withCode = (error: string, code: string | undefined, retryable: boolean, details: unknown): FailureReport => {
  const safeDetails = jsonSafe(details)
  return {
    error,
    retryable,
    ...(code === undefined ? {} : { errorCode: code }),
    ...(safeDetails === undefined ? {} : { details: safeDetails })
  }
}

/**
 * Maps whatever a handler failed with to its callback fields: `TaskError` (Promise class or the
 * domain's tagged error) keeps its code, retryability and details; `RateLimited` becomes
 * `RATE_LIMITED` with `retryAfterMs`; `Timeout` becomes `TIMEOUT`; storage failures
 * `STORAGE_ERROR`; anything else is a retryable failure with its message and no code.
 */
export const failureOf = (error: unknown): FailureReport => {
  if (error instanceof PromiseErrors.TaskError || error instanceof DomainErrors.TaskError) {
    return withCode(error.message, error.code, error.retryable, error.details)
  }
  if (error instanceof PromiseErrors.RateLimited || error instanceof DomainErrors.RateLimited) {
    return {
      error: error.message,
      errorCode: ErrorCodes.rateLimited,
      retryable: true,
      retryAfterMs: Math.max(0, Math.round(error.retryAfterMs))
    }
  }
  if (error instanceof PromiseErrors.Timeout || error instanceof DomainErrors.Timeout) {
    return { error: error.message, errorCode: ErrorCodes.timeout, retryable: true }
  }
  if (error instanceof AttemptErrors.StorageFailure) {
    return { error: error.message, errorCode: ErrorCodes.storageError, retryable: true }
  }
  if (error instanceof AttemptErrors.InvalidNext) {
    return { error: error.message, errorCode: ErrorCodes.invalidNext, retryable: false }
  }
  if (error instanceof AttemptErrors.AssetNotFound) {
    return { error: error.message, errorCode: "ASSET_NOT_FOUND", retryable: false }
  }
  if (error instanceof AttemptErrors.InvalidAsset) {
    return { error: error.message, errorCode: "INVALID_ASSET", retryable: false }
  }
  return { error: messageOf(error), retryable: true }
}
