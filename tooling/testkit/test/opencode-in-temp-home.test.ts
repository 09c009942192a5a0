import { access, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isProcessAlive, startOpenCodeInTempHome } from "../src/index.js";

describe("startOpenCodeInTempHome", () => {
  it("runs opencode in a new home with the config written there; stop() ends both", async () => {
    const opencode = await startOpenCodeInTempHome({
      homePrefix: "taos-testkit-home-",
      password: "pw",
      config: { autoupdate: false },
    });
    try {
      expect(opencode.home).toContain("taos-testkit-home-");
      const written = await readFile(join(opencode.home, ".config", "opencode", "opencode.json"));
      // opencode adds its $schema to the file it reads.
      expect(JSON.parse(written.toString())).toMatchObject({ autoupdate: false });
      const health = await fetch(`${opencode.url}/global/health`, { headers: opencode.headers });
      expect(await health.json()).toMatchObject({ healthy: true });
    } finally {
      await opencode.stop();
    }
    expect(isProcessAlive(opencode.pid)).toBe(false);
    await expect(access(opencode.home)).rejects.toThrow(/ENOENT/);
  });

  it("removes the home when opencode cannot start", async () => {
    const prefix = `taos-testkit-unstarted-${process.pid}-`;
    await expect(
      startOpenCodeInTempHome({ homePrefix: prefix, cwd: join(tmpdir(), `${prefix}missing`) }),
    ).rejects.toThrow();
    const left = (await readdir(tmpdir())).filter((name) => name.startsWith(prefix));
    expect(left).toEqual([]);
  });
});
