import { randomBytes } from "@pipeweave/storage/RandomBytes"

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

const suffix = (length: number): string => {
  const bytes = randomBytes(length)
  let out = ""
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length]
  return out
}

export const newTaskRunId = (): string => `trun_${suffix(16)}`
export const newPipelineRunId = (): string => `prun_${suffix(16)}`
export const newDlqId = (): string => `dlq_${suffix(16)}`
export const newOrchestratorId = (): string => `orch_${suffix(10)}`
export const newRequestId = (): string => `req_${suffix(16)}`
