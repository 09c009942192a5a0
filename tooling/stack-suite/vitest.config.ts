import { mergeConfig, type ViteUserConfig } from "vitest/config";
import { packageTests, testTimeout } from "../build-config/vitest.js";

const config: ViteUserConfig = mergeConfig(packageTests(), {
  test: {
    // One file at a time: each drives a real `opencode serve` hard, and the soak and
    // memory figures must not include another file's load.
    fileParallelism: false,
    // The soak reads the heap after a full GC. The young generation is pinned to Node 20's
    // default (16 MB semi-spaces): Node 24 grows it to 64 MB under load, which would make
    // the memory figures measure V8's sizing rather than the stack.
    execArgv: ["--expose-gc", "--max-semi-space-size=16"],
    testTimeout: testTimeout(120_000),
    // beforeAll runs whole scenarios (the soak, the memory turns).
    hookTimeout: testTimeout(180_000),
  },
});

export default config;
