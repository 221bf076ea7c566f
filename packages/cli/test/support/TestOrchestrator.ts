import { mkdtempSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { defaultConfig, type OrchestratorSettings } from "@pipeweave/orchestrator/Config"
import * as Database from "@pipeweave/orchestrator/Database"
import { http, services } from "@pipeweave/orchestrator/Orchestrator"
import { Effect, Layer, Option, Redacted } from "effect"

/** Serverless settings (no scheduler loop) with data under a fresh temp directory. */
export const testSettings = (overrides: Partial<OrchestratorSettings> = {}): OrchestratorSettings =>
  defaultConfig({
    dataDir: mkdtempSync(join(tmpdir(), "pipeweave-cli-")),
    mode: "serverless",
    secretKey: Option.some(Redacted.make("7f".repeat(32))),
    ...overrides
  })

/** A real orchestrator on 127.0.0.1 and a random port, over in-memory PGlite; its services stay reachable. */
export const testOrchestrator = (settings: OrchestratorSettings = testSettings()) =>
  http.pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provideMerge(services(settings, Database.layerPglite()))
  )

/** The base URL of the orchestrator the test layer serves. */
export const orchestratorUrl = HttpServer.addressFormattedWith((address) => Effect.succeed(address))
