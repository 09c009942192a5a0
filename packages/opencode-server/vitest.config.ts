import { defineConfig, type ViteUserConfig } from "vitest/config";

const config: ViteUserConfig = defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real `opencode serve` processes start in 1-2 s, more on a loaded 2-core CI box.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});

export default config;
