import { describe, expect, it } from "vitest";

// The values the package exports (types are not listed): a new export is a decision.
describe("the entry point", () => {
  it("exports exactly its public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
      "DEFAULT_SERVER_ENV",
      "InvalidServerOptionError",
      "OpenCodeBinaryNotFoundError",
      "OpenCodeExitedError",
      "OpenCodeHealthError",
      "OpenCodeServer",
      "OpenCodeStartTimeoutError",
      "OpenCodeStoppedError",
      "PortInUseError",
      "SUPPORTED_OPENCODE_RANGE",
      "SUPPORTED_OPENCODE_VERSIONS",
      "UnsupportedOpenCodeVersionError",
      "checkOpenCodeVersion",
      "findBwrap",
      "findOpenCodeBinary",
      "isSupportedOpenCodeVersion",
      "platformPackageNames",
      "platformTraits",
      "readBinaryVersion",
      "resolveOpenCodeBinary",
    ]);
  });
});
