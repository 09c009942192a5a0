import type { Options } from "tsup";

// Private workspace packages: bundled into each published package (code and types),
// so consumers install nothing extra.
const BUNDLED = ["@taos/internal"];

/**
 * The one tsup setup of every package: ESM with `.d.ts`, target es2022.
 * A package adds entries (a CLI) or options (`noExternal`) on top.
 */
export function packageBuild(overrides: Options = {}): Options {
  const dts = overrides.dts ?? true;
  return {
    entry: ["src/index.ts"],
    format: ["esm"],
    target: "es2022",
    sourcemap: true,
    clean: true,
    ...overrides,
    dts: { ...(typeof dts === "object" ? dts : {}), resolve: BUNDLED },
    noExternal: [...BUNDLED, ...(overrides.noExternal ?? [])],
  };
}
