import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { cli } from "./Cli.js"
import { ImportModule } from "./ImportModule.js"

/**
 * Runs `pipeweave` on `argv` in this process and exits with the CLI's exit code. Requests go
 * through `node:http` (whose agent the layer closes, so the process exits as soon as the command
 * is done; a kept-alive `fetch` connection would hold it for seconds). `importModule`, when
 * given, loads what the commands load on demand (see `ImportModule`).
 */
export const main = (argv: ReadonlyArray<string>, importModule?: ImportModule["Type"]): void =>
  cli(argv).pipe(
    importModule === undefined ? (self) => self : Effect.provideService(ImportModule, importModule),
    Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHttpClient.layer)),
    NodeRuntime.runMain({
      disableErrorReporting: true,
      // A signal interrupts the main fiber (after the command's finalizers ran): exit 130.
      teardown: (exit, onExit) =>
        onExit(
          Exit.isSuccess(exit) && typeof exit.value === "number"
            ? exit.value
            : Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
            ? 130
            : 1
        )
    })
  )
