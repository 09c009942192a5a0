import { mergeConfig, type ViteUserConfig } from "vitest/config";
import { packageTests } from "../../tooling/build-config/vitest.js";

const config: ViteUserConfig = mergeConfig(packageTests(), {
  // Type-level tests (`*.test-d.ts`): the phase table's event names.
  test: { typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] } },
});

export default config;
