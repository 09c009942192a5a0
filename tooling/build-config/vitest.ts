import { defineConfig, type ViteUserConfig } from "vitest/config";

/**
 * The one scale factor of test timeouts: `TAOS_TEST_SLOWDOWN` (default 1; CI's loaded
 * stage sets it). Tests scale their own waits with `scaled()` from `@taos/testkit`, which
 * reads the same variable.
 */
export function testTimeout(ms: number): number {
  const factor = Number(process.env.TAOS_TEST_SLOWDOWN ?? "1");
  return Math.round(ms * (Number.isFinite(factor) && factor >= 1 ? factor : 1));
}

/** The one vitest setup of every package: `test/**\/*.test.ts`, with room for real servers. */
export function packageTests(): ViteUserConfig {
  return defineConfig({
    test: {
      include: ["test/**/*.test.ts"],
      // Real `opencode serve` processes start in 1-2 s, more on a loaded 2-core CI box.
      testTimeout: testTimeout(60_000),
      hookTimeout: testTimeout(60_000),
    },
  });
}
