import { describe, expect, it } from "vitest";

// The values the package exports (types are not listed): a new export is a decision.
describe("the entry point", () => {
  it("exports exactly its public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual(["driveTurn"]);
  });

  it("keeps what the runtime and the pool share to heal a server in ./internals", async () => {
    const internals = Object.keys(await import("../src/internals.js")).sort();
    expect(internals).toEqual([
      "DEFAULT_WEDGED_AFTER",
      "WedgeWatch",
      "isWedgeSign",
      "runHealingTurn",
      "wedgedAfterOption",
    ]);
  });
});
