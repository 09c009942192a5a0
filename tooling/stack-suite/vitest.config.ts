import { defineConfig, type ViteUserConfig } from "vitest/config";

const config: ViteUserConfig = defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // One file at a time: each drives a real `opencode serve` hard, and the soak and
    // memory figures must not include another file's load.
    fileParallelism: false,
    // The soak reads the heap after a full GC.
    execArgv: ["--expose-gc"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});

export default config;
