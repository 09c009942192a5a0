import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { settlePluginInstall } from "../src/plugin-install.js";

describe("settlePluginInstall: what keeps opencode from installing its plugin package", () => {
  let temp: TempHome;
  beforeEach(async () => {
    temp = await makeTempHome("taos-plugin-install-");
  });
  afterEach(async () => {
    await temp.cleanup();
  });

  const lockOf = async (): Promise<unknown> =>
    JSON.parse(await readFile(join(temp.path, "package-lock.json"), "utf8"));

  it("writes the offline .npmrc, an empty node_modules and a lock naming the package", async () => {
    const written = await settlePluginInstall(temp.path, false);
    expect(written.map((path) => path.slice(temp.path.length + 1)).sort()).toEqual([
      ".npmrc",
      "node_modules",
      "package-lock.json",
    ]);
    expect(await readFile(join(temp.path, ".npmrc"), "utf8")).toContain("offline=true");
    expect(await readdir(join(temp.path, "node_modules"))).toEqual([]);
    // What opencode reads: every package it would add is in the root's dependencies.
    expect(await lockOf()).toMatchObject({
      packages: { "": { dependencies: { "@opencode-ai/plugin": expect.any(String) } } },
    });
    // A second start finds it all in place.
    expect(await settlePluginInstall(temp.path, false)).toHaveLength(3);
  });

  it("leaves a lock and a node_modules of a real install as they are", async () => {
    const real = `${JSON.stringify({ name: "real", lockfileVersion: 3, packages: {} })}\n`;
    await writeFile(join(temp.path, "package-lock.json"), real);
    await mkdir(join(temp.path, "node_modules", "@opencode-ai", "plugin"), { recursive: true });
    const written = await settlePluginInstall(temp.path, false);
    expect(written.some((path) => path.endsWith("package-lock.json"))).toBe(false);
    expect(await readFile(join(temp.path, "package-lock.json"), "utf8")).toBe(real);
    await settlePluginInstall(temp.path, true);
    expect(await readFile(join(temp.path, "package-lock.json"), "utf8")).toBe(real);
    expect(await readdir(join(temp.path, "node_modules"))).toEqual(["@opencode-ai"]);
  });

  it("with the install wanted, removes what it wrote and nothing else", async () => {
    await settlePluginInstall(temp.path, false);
    expect(await settlePluginInstall(temp.path, true)).toEqual([]);
    expect(await readdir(temp.path)).toEqual([]);
    // Someone else's .npmrc stays.
    await writeFile(join(temp.path, ".npmrc"), "registry=https://example.test/\n");
    await settlePluginInstall(temp.path, true);
    expect(await readdir(temp.path)).toEqual([".npmrc"]);
  });
});
