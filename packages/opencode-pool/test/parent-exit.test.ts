import { fileURLToPath } from "node:url";
import { makeTempHome, opencodeBinaryPath, scaled, type TempHome } from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidsUnder } from "./processes.js";

const fixture = fileURLToPath(new URL("./fixtures/parent.mjs", import.meta.url));

describe("the host process ends without close(): no opencode of the pool is left", () => {
  let temp: TempHome;
  let count = 0;

  beforeAll(async () => {
    temp = await makeTempHome("taos-pool-parent-");
  });

  afterAll(async () => {
    await temp.cleanup();
  });

  async function run(mode: "exit" | "signal") {
    count += 1;
    const root = `${temp.path}/root-${count}`;
    const host = execa(process.execPath, [fixture, mode, root], {
      env: { OPENCODE_BIN: opencodeBinaryPath() },
      reject: false,
    });
    let stdout = "";
    const pid = await new Promise<number>((resolve, reject) => {
      host.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /\{"pid":(\d+)\}/.exec(stdout);
        if (match) resolve(Number(match[1]));
      });
      void host.then((result) => reject(new Error(`host ended first: ${result.stderr}`)));
    });
    if (mode === "signal") {
      expect(pidsUnder(root).length).toBeGreaterThan(0);
      host.kill("SIGTERM");
    }
    const result = await host;
    let left: number[] = [];
    await expect
      .poll(
        () => {
          left = pidsUnder(root);
          return left;
        },
        { timeout: scaled(10_000), interval: 50 },
      )
      .toEqual([]);
    // Only when the test is failing: leave nothing behind.
    for (const stray of left) {
      try {
        process.kill(stray, "SIGKILL");
      } catch {
        // gone
      }
    }
    return { result, pid };
  }

  it("process.exit() in the host", async () => {
    const { result, pid } = await run("exit");
    expect(pid).toBeGreaterThan(0);
    expect(result.exitCode).toBe(0);
  });

  it("SIGTERM to the host", async () => {
    const { result } = await run("signal");
    expect(result.signal).toBe("SIGTERM");
  });
});
