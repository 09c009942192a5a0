import type { Options } from "tsup";
import { packageBuild } from "../../tooling/build-config/tsup.js";

// `./internals`: what the runtime and the pool share; not the public API.
const config: Options = packageBuild({ entry: ["src/index.ts", "src/internals.ts"] });

export default config;
