import type { Options } from "tsup";

/**
 * The one tsup setup of every package: ESM with `.d.ts`, target es2022.
 * A package adds entries (a CLI) or options (`noExternal`) on top.
 */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "es2022",
    dts: true,
    sourcemap: true,
    clean: true,
    ...overrides,
  };
}
