import { Options } from "@effect/cli"
import { Config, type Option, type Redacted } from "effect"

/** Default orchestrator when neither `--url` nor `PIPEWEAVE_ORCHESTRATOR_URL` is given. */
export const DEFAULT_ORCHESTRATOR_URL = "http://localhost:3000"

/** `--url`: the orchestrator. */
export const urlOption = Options.text("url").pipe(
  Options.withFallbackConfig(Config.string("PIPEWEAVE_ORCHESTRATOR_URL").pipe(Config.withDefault(DEFAULT_ORCHESTRATOR_URL))),
  Options.withDescription(`Orchestrator URL (default: env PIPEWEAVE_ORCHESTRATOR_URL, else ${DEFAULT_ORCHESTRATOR_URL})`)
)

const token = Options.redacted("token").pipe(
  Options.withFallbackConfig(Config.redacted("PIPEWEAVE_API_TOKEN")),
  Options.optional,
  Options.withDescription("API token sent as Authorization: Bearer (default: env PIPEWEAVE_API_TOKEN)")
)

const json = Options.boolean("json").pipe(
  Options.withDescription("Print the orchestrator's raw JSON answer instead of a table")
)

/** The options every orchestrator command takes: `--url`, `--token`, `--json`. */
export const apiOptions = { url: urlOption, token, json }

/** Parsed `apiOptions`. */
export interface ApiOptions {
  readonly url: string
  readonly token: Option.Option<Redacted.Redacted<string>>
  readonly json: boolean
}
