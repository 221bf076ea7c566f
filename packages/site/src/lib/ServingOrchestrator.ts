import { Either } from "effect"
import { callHealth } from "./OrchestratorClient"
import { addOrchestrator, findByUrl, getState } from "./OrchestratorStore"
import { siteRoot } from "./SiteLinks"

const PRESET_KEY = "pipeweave.servingOrchestratorAdded"

/**
 * When an orchestrator serves this site (at `/ui/`), puts that orchestrator in the store on the
 * first visit and selects it. Once only: if the user removes it, it stays removed.
 */
export const presetServingOrchestrator = async (): Promise<void> => {
  if (!siteRoot().pathname.endsWith("/ui/") || localStorage.getItem(PRESET_KEY) !== null) return
  const url = window.location.origin
  if (findByUrl(url)) return
  const health = await callHealth({ url })
  if (Either.isLeft(health) || findByUrl(url)) return
  localStorage.setItem(PRESET_KEY, url)
  addOrchestrator({ name: getState().orchestrators.length === 0 ? "This orchestrator" : window.location.host, url })
}
