import type { Options } from "tsup";

// Built like the published packages so their tsup can inline it (code and types).
const config: Options = {
  entry: ["src/index.ts"],
  format: ["esm"],
  target: "es2022",
  dts: true,
  sourcemap: true,
  clean: true,
};

export default config;
