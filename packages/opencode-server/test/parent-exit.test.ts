import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeTempHome, opencodeBinaryPath, type TempHome } from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, isGone, liveGroupMembers } from "./helpers.js";

const fixture = fileURLToPath(new URL("./fixtures/parent.mjs", import.meta.url));

describe("the parent process ends without calling stop(): its opencode is gone", () => {
  let temp: TempHome;
  let count = 0;

  beforeAll(async () => {
    temp = await makeTempHome("taos-oc-parent-");
  });

  afterAll(async () => {
    await temp.cleanup();
  });

  async function run(mode: string, signal?: NodeJS.Signals, sandbox: "bwrap" | "none" = "none") {
    count += 1;
    const host = execa(process.execPath, [fixture, mode, join(temp.path, `home-${count}`)], {
      env: { OPENCODE_BIN: opencodeBinaryPath(), TAOS_TEST_SANDBOX: sandbox },
      reject: false,
    });
    let stdout = "";
    const pids = await new Promise<number[]>((resolve, reject) => {
      host.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /\{"pids":\[[\d,]+\]\}/.exec(stdout);
        if (match) resolve((JSON.parse(match[0]) as { pids: number[] }).pids);
      });
      void host.then((result) => reject(new Error(`host ended first: ${result.stderr}`)));
    });
    if (signal) host.kill(signal);
    const result = await host;
    const allGone = async (): Promise<boolean> => {
      for (const pid of pids) {
        if (!(await isGone(pid)) || (await liveGroupMembers(pid)).length > 0) return false;
      }
      return true;
    };
    const gone = await eventually(allGone);
    // Only when the test is failing: leave nothing behind.
    if (!gone) {
      for (const pid of pids) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // that one is gone
        }
      }
    }
    return { gone, result, stdout, pids };
  }

  it("normal exit (process.exit)", async () => {
    const { gone, result } = await run("exit");
    expect(result.exitCode).toBe(0);
    expect(gone).toBe(true);
  });

  it("uncaught exception", async () => {
    const { gone, result } = await run("throw");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("boom");
    expect(gone).toBe(true);
  });

  it("SIGTERM with no handler of the host's: the host still dies of SIGTERM", async () => {
    const { gone, result } = await run("signal", "SIGTERM");
    expect(result.signal).toBe("SIGTERM");
    expect(gone).toBe(true);
  });

  it("SIGTERM with two copies of the package loaded: one set of handlers, the host still dies", async () => {
    const { gone, result, pids } = await run("two-copies", "SIGTERM");
    expect(pids).toHaveLength(2);
    expect(result.signal).toBe("SIGTERM");
    expect(gone).toBe(true);
  });

  it("SIGTERM with the host's own handler: the host keeps control, opencode dies at exit", async () => {
    const { gone, result, stdout } = await run("host-handler", "SIGTERM");
    expect(stdout).toContain("host cleanup");
    expect(result.signal).toBeUndefined();
    expect(result.exitCode).toBe(7);
    expect(gone).toBe(true);
  });

  describe("under bubblewrap (the pid is bwrap's; opencode runs inside, in the same group)", () => {
    it("normal exit (process.exit)", async () => {
      const { gone, result } = await run("exit", undefined, "bwrap");
      expect(result.exitCode).toBe(0);
      expect(gone).toBe(true);
    });

    it("SIGTERM with no handler of the host's", async () => {
      const { gone, result } = await run("signal", "SIGTERM", "bwrap");
      expect(result.signal).toBe("SIGTERM");
      expect(gone).toBe(true);
    });

    it("SIGKILL, which no handler sees: bwrap's --die-with-parent still ends opencode", async () => {
      const { gone, result } = await run("signal", "SIGKILL", "bwrap");
      expect(result.signal).toBe("SIGKILL");
      expect(gone).toBe(true);
    });
  });
});
