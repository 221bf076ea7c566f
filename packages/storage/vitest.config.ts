import { defineProject } from "vitest/config"

export default defineProject({
  ssr: { resolve: { conditions: ["@pipeweave/source"] } },
  test: {
    name: "storage",
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }
  }
})
