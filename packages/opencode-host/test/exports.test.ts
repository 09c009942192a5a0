import { describe, expect, it } from "vitest";

// The values the package exports (types are not listed): a new export is a decision.
describe("the entry point", () => {
  it("exports exactly its public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
      "HostInputError",
      "HostRequestError",
      "RemotePool",
      "SIGNATURE_HEADERS",
      "SIGNATURE_WINDOW_MS",
      "bodyDigest",
      "canonicalString",
      "checkSignature",
      "createHostHandler",
      "signRequest",
    ]);
  });
});
