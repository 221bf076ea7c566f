import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { pathToFileURL } from "node:url"
import { MinimalDOMMatrix } from "./MinimalDOMMatrix.js"

/** The pdfjs-dist legacy build (the one for Node). */
export type Pdfjs = typeof import("pdfjs-dist/legacy/build/pdf.mjs")

const require = createRequire(import.meta.url)
const pdfjsMain = require.resolve("pdfjs-dist/legacy/build/pdf.mjs")
const pdfjsRoot = dirname(require.resolve("pdfjs-dist/package.json"))

/** Where pdfjs reads the standard fonts and CMaps from (file paths ending in `/`). */
export const pdfjsDataPaths = {
  standardFontDataUrl: join(pdfjsRoot, "standard_fonts") + "/",
  cMapUrl: join(pdfjsRoot, "cmaps") + "/"
}

const canvasLoads = (): boolean => {
  try {
    createRequire(pdfjsMain)("@napi-rs/canvas")
    return true
  } catch {
    return false
  }
}

const renderingOnlyWarning = /^Warning: (Cannot load "@napi-rs\/canvas"|Cannot polyfill `(ImageData|Path2D)`)/

const importWithoutCanvas = async (): Promise<Pdfjs> => {
  ;(globalThis as { DOMMatrix?: unknown }).DOMMatrix ??= MinimalDOMMatrix
  const warn = console.warn
  console.warn = (...args: Array<unknown>) => {
    if (typeof args[0] === "string" && renderingOnlyWarning.test(args[0])) return
    warn(...args)
  }
  try {
    return await import("pdfjs-dist/legacy/build/pdf.mjs")
  } finally {
    console.warn = warn
  }
}

const load = async (): Promise<Pdfjs> => {
  const pdfjs = canvasLoads() ? await import("pdfjs-dist/legacy/build/pdf.mjs") : await importWithoutCanvas()
  pdfjs.GlobalWorkerOptions.workerSrc = pathToFileURL(require.resolve("pdfjs-dist/legacy/build/pdf.worker.mjs")).href
  return pdfjs
}

let loading: Promise<Pdfjs> | undefined

/**
 * Loads pdfjs once for text extraction in Node. Node runs pdfjs with its "fake worker" on the
 * main thread, loaded from `GlobalWorkerOptions.workerSrc` (set to the legacy worker's file URL).
 * Without the optional `@napi-rs/canvas` (only rendering needs it) a 2D `DOMMatrix` stand-in is
 * installed so the import does not throw, and pdfjs's rendering-only warnings are dropped.
 */
export const loadPdfjs = (): Promise<Pdfjs> =>
  loading ??= load().catch((error: unknown) => {
    loading = undefined
    throw error
  })
