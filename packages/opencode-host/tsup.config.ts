import type { Options } from "tsup";
import { packageBuild } from "../../tooling/build-config/tsup.js";

const config: Options = packageBuild();

export default config;
