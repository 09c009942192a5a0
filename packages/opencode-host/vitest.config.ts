import type { ViteUserConfig } from "vitest/config";
import { packageTests } from "../../tooling/build-config/vitest.js";

const config: ViteUserConfig = packageTests();

export default config;
