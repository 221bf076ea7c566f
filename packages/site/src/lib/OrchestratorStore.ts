/**
 * The orchestrators the site knows, kept in `localStorage` so they survive reloads: a name, a
 * base URL and an optional API key each, and which one is selected. Every island on a page reads
 * the same store and hears its changes (also those made in other tabs).
 */
export interface StoredOrchestrator {
  readonly id: string
  readonly name: string
  /** Base URL without trailing slash, e.g. `http://localhost:3000`. */
  readonly url: string
  readonly apiKey?: string
}

export interface OrchestratorState {
  readonly orchestrators: ReadonlyArray<StoredOrchestrator>
  readonly selectedId: string | undefined
}

export const STORAGE_KEY = "pipeweave.orchestrators"

const EMPTY: OrchestratorState = { orchestrators: [], selectedId: undefined }

const isStored = (value: unknown): value is StoredOrchestrator => {
  if (typeof value !== "object" || value === null) return false
  const entry = value as Record<string, unknown>
  return typeof entry["id"] === "string" && typeof entry["name"] === "string" && typeof entry["url"] === "string" &&
    (entry["apiKey"] === undefined || typeof entry["apiKey"] === "string")
}

const read = (): OrchestratorState => {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null")
    if (typeof parsed !== "object" || parsed === null) return EMPTY
    const raw = parsed as Record<string, unknown>
    const orchestrators = Array.isArray(raw["orchestrators"]) ? raw["orchestrators"].filter(isStored) : []
    const selected = typeof raw["selectedId"] === "string" ? raw["selectedId"] : undefined
    const selectedId = orchestrators.some((o) => o.id === selected) ? selected : orchestrators[0]?.id
    return { orchestrators, selectedId }
  } catch {
    return EMPTY
  }
}

let current: OrchestratorState | undefined
const listeners = new Set<(state: OrchestratorState) => void>()

const publish = (next: OrchestratorState) => {
  current = next
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next))
  for (const listener of listeners) listener(next)
}

/** The stored orchestrators and the selection. */
export const getState = (): OrchestratorState => (current ??= read())

/** Calls `listener` on every change; returns the unsubscribe function. */
export const subscribe = (listener: (state: OrchestratorState) => void): () => void => {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

if (typeof window !== "undefined") {
  window.addEventListener("storage", (event) => {
    if (event.key !== STORAGE_KEY) return
    current = read()
    for (const listener of listeners) listener(current)
  })
}

/** `url` without trailing slashes, the form every stored URL has. */
export const normalizeUrl = (url: string): string => url.trim().replace(/\/+$/, "")

const newId = (): string =>
  typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`

export interface OrchestratorInput {
  readonly name: string
  readonly url: string
  readonly apiKey?: string | undefined
}

const entryOf = (id: string, input: OrchestratorInput): StoredOrchestrator => {
  const apiKey = input.apiKey?.trim()
  return { id, name: input.name.trim(), url: normalizeUrl(input.url), ...(apiKey ? { apiKey } : {}) }
}

/** Adds an orchestrator and selects it. */
export const addOrchestrator = (input: OrchestratorInput): StoredOrchestrator => {
  const entry = entryOf(newId(), input)
  const state = getState()
  publish({ orchestrators: [...state.orchestrators, entry], selectedId: entry.id })
  return entry
}

export const updateOrchestrator = (id: string, input: OrchestratorInput): void => {
  const state = getState()
  publish({ ...state, orchestrators: state.orchestrators.map((o) => (o.id === id ? entryOf(id, input) : o)) })
}

export const removeOrchestrator = (id: string): void => {
  const state = getState()
  const orchestrators = state.orchestrators.filter((o) => o.id !== id)
  const selectedId = state.selectedId === id ? orchestrators[0]?.id : state.selectedId
  publish({ orchestrators, selectedId })
}

export const selectOrchestrator = (id: string): void => {
  const state = getState()
  if (state.orchestrators.some((o) => o.id === id)) publish({ ...state, selectedId: id })
}

export const selectedOrchestrator = (state: OrchestratorState = getState()): StoredOrchestrator | undefined =>
  state.orchestrators.find((o) => o.id === state.selectedId)

export const findByUrl = (url: string, state: OrchestratorState = getState()): StoredOrchestrator | undefined =>
  state.orchestrators.find((o) => o.url === normalizeUrl(url))
