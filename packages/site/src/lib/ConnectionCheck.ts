import { Either } from "effect"
import { callHealth, callOrchestrator } from "./OrchestratorClient"
import { normalizeUrl, type OrchestratorInput } from "./OrchestratorStore"

/** What checking an orchestrator before saving it found. */
export type CheckResult =
  | { readonly ok: true; readonly orchestratorId: string }
  | { readonly ok: false; readonly reason: CheckFailure; readonly message: string }

export type CheckFailure = "invalid-url" | "unreachable" | "cors" | "not-orchestrator" | "key-required" | "key-refused" | "failed"

const fail = (reason: CheckFailure, message: string): CheckResult => ({ ok: false, reason, message })

/**
 * A browser cannot read why a fetch failed. A `no-cors` request still goes out and resolves with an
 * opaque answer when the server is there, so: the CORS request failed but this one succeeded →
 * the server answers, only not to this origin.
 */
const answersWithoutCors = (url: string): Promise<boolean> =>
  fetch(`${url}/health`, { mode: "no-cors", cache: "no-store" }).then(() => true, () => false)

/**
 * Checks `input` before it is saved: the URL answers `/health` as a PipeWeave orchestrator, to this
 * page's origin (CORS), and the API key (or no key) is accepted by an authenticated call.
 */
export const checkOrchestrator = async (input: OrchestratorInput): Promise<CheckResult> => {
  const url = normalizeUrl(input.url)
  const parsed = URL.canParse(url) ? new URL(url) : undefined
  if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
    return fail("invalid-url", "The URL must start with http:// or https://, e.g. http://localhost:3000.")
  }
  const apiKey = input.apiKey?.trim()
  const target = { url, ...(apiKey ? { apiKey } : {}) }

  const health = await callHealth(target)
  if (Either.isLeft(health)) {
    const failure = health.left
    if (failure.kind === "unreachable") {
      return (await answersWithoutCors(url))
        ? fail(
          "cors",
          `${url} answers, but not to pages from ${window.location.origin}: the browser blocked it (CORS). ` +
            `Start the orchestrator with CORS_ORIGINS=${window.location.origin} (comma-separated list) to allow this site.`
        )
        : fail("unreachable", `Cannot reach ${url}: nothing answered. Is the orchestrator running, and is the URL right?`)
    }
    return fail("not-orchestrator", `${url} is not a PipeWeave orchestrator: /health ${failure.status ? `answered HTTP ${failure.status}` : "gave an unexpected answer"}.`)
  }

  const authenticated = await callOrchestrator(target, (client) => client.queue.status())
  if (Either.isLeft(authenticated)) {
    const failure = authenticated.left
    if (failure.kind === "unauthorized") {
      return apiKey
        ? fail("key-refused", "The orchestrator refused this API key (HTTP 401). Check PIPEWEAVE_API_TOKEN on the orchestrator.")
        : fail("key-required", "This orchestrator needs an API key (its PIPEWEAVE_API_TOKEN): enter it in the API key field.")
    }
    return fail("failed", `The orchestrator answered /health but its API failed: ${failure.message}.`)
  }
  return { ok: true, orchestratorId: health.right.orchestratorId }
}
