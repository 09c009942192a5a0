import type { Options } from "tsup";
import { packageBuild } from "../../tooling/build-config/tsup.js";

const config: Options = packageBuild({ entry: ["src/index.ts", "src/cli.ts"] });

export default config;
