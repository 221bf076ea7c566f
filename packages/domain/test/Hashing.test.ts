import { createHash } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { codeHashOf } from "../src/CodeHash.js"
import { structureVersion } from "../src/pipeline/PipelineStructure.js"
import { sha256Hex } from "../src/Sha256.js"

const nodeSha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex")

describe("hashing without node:crypto", () => {
  it("code hashes and pipeline versions keep the values stored before the portable SHA-256", () => {
    expect(codeHashOf("")).toBe("e3b0c44298fc1c14")
    expect(codeHashOf("async (input) => input.n * 2")).toBe("5826f9fd26765fca")
    expect(codeHashOf("é✓😀")).toBe("45f87895862e4f84")
    expect(structureVersion({
      entry: ["a"],
      tasks: { d: { allowedNext: [] }, a: { allowedNext: ["c", "b"] }, b: { allowedNext: ["d"] }, c: { allowedNext: ["d"] } }
    })).toBe("a14ec9e03456")
  })

  it("equals node:crypto's SHA-256 at every padding boundary and on long inputs", () => {
    for (let length = 0; length <= 300; length++) {
      const text = "x".repeat(length)
      expect(sha256Hex(text), `length ${length}`).toBe(nodeSha256(text))
    }
    const large = "0123456789abcdef".repeat(70_000)
    expect(sha256Hex(large)).toBe(nodeSha256(large))
  })

  it("equals node:crypto's SHA-256 on any string, lone surrogates included", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.fullUnicodeString(), fc.string16bits()), (text) => {
        expect(sha256Hex(text)).toBe(nodeSha256(text))
      }),
      { numRuns: 2000 }
    )
  })
})
