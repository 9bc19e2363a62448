import { defineConfig } from "vitest/config";

// Three projects, one command (`npm test`): pure unit tests, the Worker running in workerd against the
// Bedrock emulator and Postgres, and the real clients (SDKs, Claude Code CLI) against a running gateway.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // Spend is written after the response; on a loaded 2-core machine that can take more than a second.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
