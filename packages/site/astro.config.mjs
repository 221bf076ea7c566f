// The monitoring site: static HTML pages, Preact islands where there is interaction.
// Pages are built for the root ("/"); scripts/relativizePaths.mjs then makes every asset path and
// link relative, so the same files work at "/" (npm run site, any web server) and at "/ui/" (an
// orchestrator). See docs/decisions.md, "Monitoring site".
import preact from "@astrojs/preact"
import { defineConfig } from "astro/config"

export default defineConfig({
  output: "static",
  integrations: [preact()],
  telemetry: false,
  build: { format: "directory", inlineStylesheets: "never" },
  devToolbar: { enabled: false },
  server: { port: 4000, host: "127.0.0.1" },
  vite: { build: { target: "es2022" } }
})
