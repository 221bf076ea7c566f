import { createHash } from "node:crypto"

/** SHA-256 of a handler's source text, first 16 hex characters: the task's code hash. */
export const codeHashOf = (source: string): string =>
  createHash("sha256").update(source, "utf8").digest("hex").slice(0, 16)
