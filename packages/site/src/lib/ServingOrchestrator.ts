import { Either } from "effect"
import { callHealth } from "./OrchestratorClient"
import { addOrchestrator, findByUrl, getState, normalizeUrl } from "./OrchestratorStore"
import { siteRoot } from "./SiteLinks"

const PRESET_KEY = "pipeweave.servingOrchestratorAdded"

/**
 * When an orchestrator serves this site (at `/ui/`), puts that orchestrator in the store on the
 * first visit and selects it. Once only: if the user removes it, it stays removed.
 */
export const presetServingOrchestrator = async (): Promise<void> => {
  const root = siteRoot()
  if (!root.pathname.endsWith("/ui/") || localStorage.getItem(PRESET_KEY) !== null) return
  // The orchestrator's base URL: the site's root without "ui/" (keeps a reverse proxy's prefix).
  const url = normalizeUrl(new URL("../", root).href)
  if (findByUrl(url)) return
  const health = await callHealth({ url })
  if (Either.isLeft(health) || findByUrl(url)) return
  localStorage.setItem(PRESET_KEY, url)
  addOrchestrator({ name: getState().orchestrators.length === 0 ? "This orchestrator" : window.location.host, url })
}
