#!/usr/bin/env node
import { setFlagsFromString } from "node:v8"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { defaultTeardown } from "@effect/platform/Runtime"
import { Effect, Either, Option } from "effect"
import { parseConfig } from "./Config.js"
import { launch } from "./Orchestrator.js"

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

// Between full collections V8 lets the old generation grow up to 4× what survived the last one;
// a burst of queuing (100k runs through POST /api/queue/batch) then leaves its garbage resident
// until the next collection, 170-180 MB on PostgreSQL. Growing by half at most keeps it under
// 135 MB, with CPU per task unchanged in the bench. An operator's own setting (NODE_OPTIONS or a
// node flag) wins.
const ownHeapGrowth = [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""].some((arg) => arg.includes("--heap-growing-percent"))
if (!ownHeapGrowth) setFlagsFromString("--heap-growing-percent=50")

// Start-up failures an operator fixes (a bad secret file, a data directory held by another
// process) are one line on stderr and exit code 1, with no stack trace.
const refuse = (error: { readonly message: string }) =>
  Effect.sync(() => {
    process.stderr.write(`${error.message}\n`)
    process.exitCode = 1
  })

launch(settings.right).pipe(
  Effect.catchTags({ InvalidSecretKey: refuse, DataDirInUse: refuse }),
  NodeRuntime.runMain({
    disableErrorReporting: false,
    teardown: (exit, onExit) => defaultTeardown(exit, (code) => onExit(code === 0 ? Number(process.exitCode ?? 0) : code))
  })
)
