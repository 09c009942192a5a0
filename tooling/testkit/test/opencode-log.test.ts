import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readOpenCodeLog, waitForOpenCodeLog } from "../src/opencode-log.js";
import { makeTempHome, type TempHome } from "../src/temp-home.js";

describe("opencode's own log", () => {
  let temp: TempHome;
  const dir = (): string => join(temp.path, ".local", "share", "opencode", "log");
  beforeEach(async () => {
    temp = await makeTempHome("taos-testkit-log-");
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  it("is empty before opencode wrote one, and its files joined after", async () => {
    expect(await readOpenCodeLog(temp.path)).toBe("");
    await mkdir(dir(), { recursive: true });
    await writeFile(join(dir(), "a.log"), "first\n");
    await writeFile(join(dir(), "b.log"), "second\n");
    expect(await readOpenCodeLog(temp.path)).toBe("first\nsecond\n");
  });

  it("is waited for until it holds a line written later, and the wait fails when it never does", async () => {
    await mkdir(dir(), { recursive: true });
    setTimeout(() => void writeFile(join(dir(), "a.log"), "exiting loop\n"), 100);
    expect(await waitForOpenCodeLog(temp.path, (log) => log.includes("exiting loop"))).toBe(
      "exiting loop\n",
    );
    await expect(
      waitForOpenCodeLog(temp.path, (log) => log.includes("never"), 200),
    ).rejects.toThrow(/did not hold/);
  });
});
