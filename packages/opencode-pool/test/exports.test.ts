import { describe, expect, it } from "vitest";

// The values the package exports (types are not listed): a new export is a decision.
describe("the entry point", () => {
  it("exports exactly its public API", async () => {
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
      "ARCHIVE_FORMAT",
      "ARCHIVE_VERSION",
      "AgentBusyError",
      "AgentExistsError",
      "DEFAULT_ARCHIVE_LIMITS",
      "DEFAULT_RESTART_POLICY",
      "InvalidArchiveError",
      "InvalidPoolOptionError",
      "OpenCodePool",
      "PoolClosedError",
      "PoolRefusedError",
      "UnknownAgentError",
      "UnsupportedPlatformError",
      "attachedLauncher",
      "localLauncher",
    ]);
  });

  it("keeps its plumbing in ./internals, out of the entry point", async () => {
    const internals = Object.keys(await import("../src/internals.js")).sort();
    expect(internals).toEqual([
      "ImpossibleTransitionError",
      "PHASE_TRANSITIONS",
      "RECENT_TURNS_PER_SERVER",
      "chooseEviction",
      "decideAdmission",
      "decideRestart",
      "entryProblem",
      "holdsSlot",
      "isExportedPath",
      "isSqliteHeader",
      "manifestProblem",
      "nextPhase",
      "pickNext",
      "recentTurns",
      "staleDirectories",
      "turnCallOf",
      "validateAgentId",
    ]);
    const api = new Set(Object.keys(await import("../src/index.js")));
    expect(internals.filter((name) => api.has(name))).toEqual([]);
  });
});
