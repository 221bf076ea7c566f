import { execFileSync } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { V8_DEFAULTS, v8FlagsToSet } from "../src/V8Defaults.js"

describe("the orchestrator's V8 defaults", () => {
  it("are all set when the operator set none: heap growth at start, tier-up once serving", () => {
    assert.deepStrictEqual(v8FlagsToSet(["--enable-source-maps"], "--max-old-space-size=512", "start"), ["--heap-growing-percent=50"])
    assert.deepStrictEqual(v8FlagsToSet(["--enable-source-maps"], "--max-old-space-size=512", "serving"), [
      "--interrupt-budget=8192",
      "--minimum-invocations-after-ic-update=20"
    ])
  })

  it("leave out a flag the operator set, as a node flag or in NODE_OPTIONS, with - or _", () => {
    assert.deepStrictEqual(v8FlagsToSet(["--interrupt-budget=100000"], undefined, "serving"), ["--minimum-invocations-after-ic-update=20"])
    const nodeOptions = "--max-old-space-size=512 --minimum_invocations_after_ic_update=500 --heap-growing-percent=100"
    assert.deepStrictEqual(v8FlagsToSet([], nodeOptions, "start"), [])
    assert.deepStrictEqual(v8FlagsToSet([], nodeOptions, "serving"), ["--interrupt-budget=8192"])
  })

  it("do not take a longer flag sharing a prefix for the operator's setting", () => {
    assert.deepStrictEqual(v8FlagsToSet([], "--interrupt-budget-for-feedback-allocation=940", "serving"), [
      "--interrupt-budget=8192",
      "--minimum-invocations-after-ic-update=20"
    ])
  })

  // `v8.setFlagsFromString` ignores a flag V8 does not know: a Node upgrade that drops one would
  // silently undo the setting.
  it("name flags this Node's V8 knows", () => {
    const known = execFileSync(process.execPath, ["--v8-options"], { encoding: "utf8" })
    for (const { flag } of V8_DEFAULTS) assert.match(known, new RegExp(`^\\s+${flag} \\(`, "m"), flag)
  })
})
