import { describe, expect, it } from "vitest";
import { UnsupportedOpenCodeVersionError } from "../src/index.js";
import { useFakeServers } from "./fake-servers.js";
import { isGone, liveGroupMembers, recordingLogger } from "./helpers.js";

describe("faults (tiny fake opencode scripts): the version check after readiness", () => {
  const { setup } = useFakeServers("taos-oc-version-");

  it("a version outside the supported range: UnsupportedOpenCodeVersionError, the child stopped", async () => {
    const { fake, server } = await setup({ version: "2.0.0" });
    const error = await server.ensureRunning().catch((e: unknown) => e);
    expect(UnsupportedOpenCodeVersionError.isInstance(error)).toBe(true);
    expect((error as UnsupportedOpenCodeVersionError).version).toBe("2.0.0");
    const [pid] = await fake.spawns();
    expect(await isGone(pid!)).toBe(true);
    expect(await liveGroupMembers(pid!)).toEqual([]);
    expect(server.isRunning()).toBe(false);
  });

  it("allowUnsupportedVersion: the same server runs, with a warning", async () => {
    const logger = recordingLogger();
    const { server } = await setup({ version: "2.0.0" }, { allowUnsupportedVersion: true, logger });
    await server.ensureRunning();
    expect(server.isRunning()).toBe(true);
    expect(server.version).toBe("2.0.0");
    const warnings = logger.records.filter((r) => r.level === "warn").map((r) => r.message);
    expect(warnings.some((message) => message.includes("2.0.0"))).toBe(true);
  });

  it("a server without /global/health: ready through /doc, and `opencode --version` decides (not the API version in /doc)", async () => {
    const refused = await setup({ noGlobalHealth: true, cliVersion: "opencode 2.1.0" });
    const error = await refused.server.ensureRunning().catch((e: unknown) => e);
    expect(UnsupportedOpenCodeVersionError.isInstance(error)).toBe(true);
    expect((error as UnsupportedOpenCodeVersionError).version).toBe("2.1.0");

    const accepted = await setup({ noGlobalHealth: true, cliVersion: "1.4.0" });
    await accepted.server.ensureRunning();
    expect(accepted.server.version).toBe("1.4.0");
    expect(await accepted.server.healthCheck()).toBe(true);
  });

  it("a health answer without a version: `opencode --version` decides", async () => {
    const refused = await setup({ version: null, cliVersion: "opencode 2.1.0" });
    const error = await refused.server.ensureRunning().catch((e: unknown) => e);
    expect(UnsupportedOpenCodeVersionError.isInstance(error)).toBe(true);
    expect((error as UnsupportedOpenCodeVersionError).version).toBe("2.1.0");

    const accepted = await setup({ version: null, cliVersion: "1.18.33" });
    await accepted.server.ensureRunning();
    expect(accepted.server.version).toBe("1.18.33");
  });
});
