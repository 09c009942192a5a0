import type { Options } from "tsup";
import { packageBuild } from "../../tooling/build-config/tsup.js";

const config: Options = packageBuild({
  entry: ["src/index.ts", "src/cli.ts"],
  dts: { entry: "src/index.ts" },
  // The CLI carries its LiteLLM stand-in: a private package, so it is bundled, not depended on.
  noExternal: ["@taos/fake-litellm"],
});

export default config;
