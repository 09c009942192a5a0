import { describe, expect, it } from "vitest";

// The values the package exports (types are not listed): a new export is a decision.
describe("the entry point", () => {
  it("exports exactly its public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
      "ConfigValidationError",
      "InvalidOptionError",
      "OPENCODE_CONFIG_SCHEMA",
      "SUPPORTED_OPENCODE_RANGE",
      "TaosOpenCodeError",
      "UnsupportedOpenCodeVersionError",
      "buildOpenCodeConfig",
      "modelIdOf",
      "opencodeConfigPath",
      "toConfigEnv",
      "validateOpenCodeConfigOptions",
      "writeOpenCodeConfig",
    ]);
  });
});
