#!/usr/bin/env node
import { setFlagsFromString } from "node:v8"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { defaultTeardown } from "@effect/platform/Runtime"
import { Effect, Either, Option } from "effect"
import { parseConfig } from "./Config.js"
import { launch } from "./Orchestrator.js"
import { type V8FlagTime, v8FlagsToSet } from "./V8Defaults.js"

const settings = parseConfig(process.env, process.stdout.isTTY === true)
if (Either.isLeft(settings)) {
  process.stderr.write(`${settings.left.message}\n`)
  process.exit(1)
}

// The embedded database is PostgreSQL compiled to WASM: V8 compiles it with its baseline compiler
// and recompiles functions that ran enough with TurboFan in the background. With the default budget
// many functions reach TurboFan while the orchestrator starts; ten times that budget
// keeps start-up on baseline code (measured: 0.6-1.0 s less CPU to listening, 40 MB less resident)
// and still optimises what keeps running (CPU per task unchanged over 500-1,000 tasks).
if (Option.isNone(settings.right.databaseUrl)) setFlagsFromString("--wasm-tiering-budget=18000000")

// Heap growth now, tier-up once serving, unless the operator set their own (`V8Defaults.ts` says why).
const setV8Flags = (when: V8FlagTime) => {
  for (const flag of v8FlagsToSet(process.execArgv, process.env["NODE_OPTIONS"], when)) setFlagsFromString(flag)
}
setV8Flags("start")

// Start-up failures an operator fixes (a bad secret file, a data directory held by another
// process) are one line on stderr and exit code 1, with no stack trace.
const refuse = (error: { readonly message: string }) =>
  Effect.sync(() => {
    process.stderr.write(`${error.message}\n`)
    process.exitCode = 1
  })

launch(settings.right, Effect.sync(() => setV8Flags("serving"))).pipe(
  Effect.catchTags({ InvalidSecretKey: refuse, DataDirInUse: refuse }),
  NodeRuntime.runMain({
    disableErrorReporting: false,
    teardown: (exit, onExit) => defaultTeardown(exit, (code) => onExit(code === 0 ? Number(process.exitCode ?? 0) : code))
  })
)
