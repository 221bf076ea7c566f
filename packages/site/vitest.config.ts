import { defineProject } from "vitest/config"

// Browser tests: real orchestrator processes (the bundled build), a real SDK worker, the built
// site and Debian Chromium (/usr/bin/chromium) driven by playwright-core. Slow: run them with
// `npx vitest run --project site-e2e` after `npm run build`.
export default defineProject({
  test: {
    name: "site-e2e",
    include: ["test/e2e/**/*.test.ts"],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    fileParallelism: false
  }
})
