import { defineProject } from "vitest/config"

// The site's pure logic (graph layout input, timeline, filters → query...), no browser needed.
export default defineProject({
  test: { name: "site", include: ["test/unit/**/*.test.ts"] }
})
