/** The test projects, one per package; `vitest.config.ts` reads this list. */
export const projects = [
  "packages/domain/vitest.config.ts",
  "packages/storage/vitest.config.ts",
  "packages/sdk/vitest.config.ts",
  "packages/orchestrator/vitest.config.ts",
  "packages/cli/vitest.config.ts",
  "packages/site/vitest.config.ts",
  "packages/site/vitest.unit.config.ts",
  "examples/pdf-processing/vitest.config.ts"
]
