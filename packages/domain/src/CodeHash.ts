import { sha256Hex } from "./Sha256.js"

/** SHA-256 of a handler's source text, first 16 hex characters: the task's code hash. */
export const codeHashOf = (source: string): string =>
  sha256Hex(source).slice(0, 16)
