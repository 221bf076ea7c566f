import { Context } from "effect"
import type { ResolvedConfig } from "./WorkerConfig.js"

/** The resolved configuration of the running worker. */
export class WorkerSettings extends Context.Tag("@pipeweave/sdk/WorkerSettings")<WorkerSettings, ResolvedConfig>() {}
