import type { Options } from "tsup";

const config: Options = {
  entry: ["src/index.ts", "src/cli.ts"],
  format: ["esm"],
  target: "es2022",
  dts: { entry: "src/index.ts" },
  sourcemap: true,
  clean: true,
  // The CLI carries its LiteLLM stand-in: a private package, so it is bundled, not depended on.
  noExternal: ["@taos/fake-litellm"],
};

export default config;
