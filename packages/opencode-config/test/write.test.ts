import { execFile } from "node:child_process";
import { chmod, mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigValidationError,
  type OpenCodeConfigOptions,
  opencodeConfigPath,
  writeOpenCodeConfig,
} from "../src/index.js";

const run = promisify(execFile);
const distEntry = new URL("../dist/index.js", import.meta.url).href;

const options: OpenCodeConfigOptions = {
  baseURL: "http://127.0.0.1:4000/v1",
  apiKey: "sk-first-key",
  modelIds: ["m1"],
};

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

let home: TempHome;
beforeEach(async () => {
  home = await makeTempHome();
});
afterEach(async () => {
  await home.cleanup();
});

/** Runs writeOpenCodeConfig in a child Node process under a given umask (workers cannot set one). */
async function writeUnderUmask(umask: number, target: string): Promise<void> {
  const script = `
    process.umask(${umask});
    const { writeOpenCodeConfig } = await import(${JSON.stringify(distEntry)});
    await writeOpenCodeConfig(${JSON.stringify(target)}, ${JSON.stringify(options)});
  `;
  await run(process.execPath, ["--input-type=module", "-e", script]);
}

describe("writeOpenCodeConfig", () => {
  it("creates the parent directories and writes the config", async () => {
    const path = await writeOpenCodeConfig(home.path, options);
    expect(path).toBe(opencodeConfigPath(home.path));
    const written = JSON.parse(await readFile(path, "utf8"));
    expect(written.provider.litellm.options).toEqual({
      baseURL: options.baseURL,
      apiKey: options.apiKey,
    });
  });

  it("overwrites with a new key and leaves no temporary file", async () => {
    await writeOpenCodeConfig(home.path, options);
    const path = await writeOpenCodeConfig(home.path, { ...options, apiKey: "sk-second-key" });
    const text = await readFile(path, "utf8");
    expect(text).toContain("sk-second-key");
    expect(text).not.toContain("sk-first-key");
    expect(await readdir(join(home.path, ".config", "opencode"))).toEqual(["opencode.json"]);
  });

  it("is idempotent", async () => {
    const first = await readFile(await writeOpenCodeConfig(home.path, options), "utf8");
    const second = await readFile(await writeOpenCodeConfig(home.path, options), "utf8");
    expect(second).toBe(first);
  });

  it.each([0o000, 0o077, 0o022])(
    "makes the directory 0700 and the file 0600 under umask %o",
    async (umask) => {
      const target = join(home.path, `u${umask}`);
      await writeUnderUmask(umask, target);
      expect(await mode(join(target, ".config", "opencode"))).toBe(0o700);
      expect(await mode(opencodeConfigPath(target))).toBe(0o600);
    },
  );

  it("tightens an existing directory that is too open", async () => {
    const dir = join(home.path, ".config", "opencode");
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    await writeOpenCodeConfig(home.path, options);
    expect(await mode(dir)).toBe(0o700);
  });

  it("never lets another user read a file holding the key, even mid-write (umask 000)", async () => {
    const target = join(home.path, "watched");
    const dir = join(target, ".config", "opencode");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const seen = new Map<string, number>();
    let writing = true;
    // Stat every file in the directory as fast as we can while a child process rewrites it.
    const watcher = (async () => {
      while (writing) {
        for (const name of await readdir(dir).catch(() => [] as string[])) {
          const m = await mode(join(dir, name)).catch(() => undefined);
          if (m !== undefined) seen.set(`${name}:${m.toString(8)}`, m);
        }
      }
    })();
    const script = `
      process.umask(0);
      const { writeOpenCodeConfig } = await import(${JSON.stringify(distEntry)});
      for (let i = 0; i < 200; i++) {
        await writeOpenCodeConfig(${JSON.stringify(target)}, { ...${JSON.stringify(options)}, apiKey: "sk-" + i });
      }
    `;
    await run(process.execPath, ["--input-type=module", "-e", script]);
    writing = false;
    await watcher;
    expect(seen.size).toBeGreaterThan(0);
    expect([...seen.values()].every((m) => m === 0o600)).toBe(true);
  });

  it("replaces atomically: a reader never sees a partial or empty file", async () => {
    const path = await writeOpenCodeConfig(home.path, options);
    const writer = `
      const { writeOpenCodeConfig } = await import(${JSON.stringify(distEntry)});
      const long = Array.from({ length: 400 }, (_, i) => "model-" + i);
      for (let i = 0; i < 150; i++) {
        await writeOpenCodeConfig(${JSON.stringify(home.path)}, { ...${JSON.stringify(options)}, apiKey: "sk-" + i, modelIds: i % 2 ? long : ["m1"] });
      }
    `;
    const writers = [1, 2].map(() => run(process.execPath, ["--input-type=module", "-e", writer]));
    let done = false;
    const all = Promise.all(writers).finally(() => {
      done = true;
    });
    let reads = 0;
    while (!done) {
      const text = await readFile(path, "utf8");
      const parsed = JSON.parse(text); // throws on a partial or empty file
      expect(parsed.provider.litellm.options.apiKey).toMatch(/^sk-/);
      reads++;
    }
    await all;
    expect(reads).toBeGreaterThan(0);
  });

  it("writes nothing when validation fails", async () => {
    for (const bad of [
      { ...options, apiKey: "" },
      { ...options, modelIds: [] },
    ]) {
      await expect(writeOpenCodeConfig(home.path, bad)).rejects.toSatisfy(
        ConfigValidationError.isInstance,
      );
    }
    await expect(writeOpenCodeConfig("relative", options)).rejects.toThrow(/"home"/);
    expect(await readdir(home.path)).toEqual([]);
  });
});
