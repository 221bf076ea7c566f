#!/usr/bin/env node
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Either, Layer } from "effect"
import { parseConfig } from "./Config.js"
import { server } from "./Orchestrator.js"

const settings = parseConfig(process.env)
if (Either.isLeft(settings)) {
  process.stderr.write(`${settings.left.message}\n`)
  process.exit(1)
}

Layer.launch(server(settings.right)).pipe(
  Effect.tapErrorTag("InvalidSecretKey", (e) => Effect.sync(() => process.stderr.write(`${e.message}\n`))),
  NodeRuntime.runMain({ disableErrorReporting: false })
)
