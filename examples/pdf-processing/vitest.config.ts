import { defineProject } from "vitest/config"

export default defineProject({
  ssr: { resolve: { conditions: ["@pipeweave/source"] } },
  test: { name: "pdf-processing", include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 }
})
