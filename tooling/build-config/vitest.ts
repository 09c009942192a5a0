import { defineConfig, type ViteUserConfig } from "vitest/config";

/** The one vitest setup of every package: `test/**\/*.test.ts`, with room for real servers. */
export function packageTests(): ViteUserConfig {
  return defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      // Real `opencode serve` processes start in 1-2 s, more on a loaded 2-core CI box.
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  });
}
