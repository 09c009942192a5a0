import type { Options } from "tsup";
import { packageBuild } from "../../tooling/build-config/tsup.js";

// `./internals`: the plumbing the packages above use; not the public API.
const config: Options = packageBuild({ entry: ["src/index.ts", "src/internals.ts"] });

export default config;
