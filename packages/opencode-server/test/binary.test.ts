import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { makeTempHome, opencodeBinaryPath, type TempHome } from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findOpenCodeBinary,
  InvalidServerOptionError,
  isSupportedOpenCodeVersion,
  OpenCodeBinaryNotFoundError,
  platformPackageNames,
  platformTraits,
  resolveOpenCodeBinary,
  SUPPORTED_OPENCODE_RANGE,
} from "../src/index.js";

let temp: TempHome;

beforeAll(async () => {
  temp = await makeTempHome("taos-oc-resolve-");
});

afterAll(async () => {
  await temp.cleanup();
});

async function executable(path: string, body = ""): Promise<string> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, 0o755);
  return path;
}

async function emptyDir(name: string): Promise<string> {
  const dir = join(temp.path, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A fake opencode that reports `version` for `--version`, in `<temp>/<name>/opencode`. */
function fakeReporting(name: string, version: string): Promise<string> {
  return executable(join(temp.path, name, "opencode"), `echo "${version}"`);
}

describe("resolveOpenCodeBinary", () => {
  it("tries the option, OPENCODE_BIN, PATH (not node_modules/.bin), ~/.opencode/bin, then opencode-ai", async () => {
    const explicit = await executable(join(temp.path, "explicit", "opencode"));
    const fromEnv = await executable(join(temp.path, "env", "opencode"));
    const shim = await executable(join(temp.path, "proj", "node_modules", ".bin", "opencode"));
    const onPath = await executable(join(temp.path, "path", "opencode"));
    const installed = await executable(join(temp.path, "home", ".opencode", "bin", "opencode"));
    const empty = await emptyDir("empty");
    const base = { homeDir: join(temp.path, "home"), packageRoots: [empty] };
    const PATH = [join(shim, ".."), join(onPath, "..")].join(":");

    expect(
      resolveOpenCodeBinary({ ...base, binary: explicit, env: { OPENCODE_BIN: fromEnv, PATH } }),
    ).toBe(explicit);
    expect(resolveOpenCodeBinary({ ...base, env: { OPENCODE_BIN: fromEnv, PATH } })).toBe(fromEnv);
    expect(resolveOpenCodeBinary({ ...base, env: { PATH } })).toBe(onPath);
    expect(resolveOpenCodeBinary({ ...base, env: { PATH: join(shim, "..") } })).toBe(installed);
    // The workspace's opencode-ai, through its platform package.
    expect(resolveOpenCodeBinary({ homeDir: empty, env: {} })).toBe(opencodeBinaryPath());
  });

  it("names every place it looked when nothing is found", async () => {
    const empty = await emptyDir("nothing");
    // In a clean process: the NODE_PATH that pnpm gives the test runner would let require find opencode-ai.
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const { stdout } = await execa(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { resolveOpenCodeBinary, OpenCodeBinaryNotFoundError } from ${JSON.stringify(dist)};
        try { console.log(resolveOpenCodeBinary({ packageRoots: [process.cwd()] })); }
        catch (e) { console.log(JSON.stringify({ ok: OpenCodeBinaryNotFoundError.isInstance(e), searched: e.searched, message: e.message })); }`,
      ],
      { cwd: empty, env: { PATH: empty, HOME: empty }, extendEnv: false },
    );
    const { ok, searched, message } = JSON.parse(stdout) as {
      ok: boolean;
      searched: string[];
      message: string;
    };
    expect(ok).toBe(true);
    expect(searched).toHaveLength(4);
    expect(message).toContain("OPENCODE_BIN");
    expect(message).toContain("PATH");
    expect(message).toContain(join(empty, ".opencode", "bin", "opencode"));
    expect(message).toContain("opencode-ai");
    expect(message).toContain("npm install opencode-ai");
  });
});

describe("resolveOpenCodeBinary with a version range", () => {
  it("skips a 2.x first on PATH and in ~/.opencode/bin, and finds the supported one from npm", async () => {
    const onPath = await fakeReporting("v2-path", "2.0.0");
    const home = join(temp.path, "v2-home");
    const installed = await fakeReporting(join("v2-home", ".opencode", "bin"), "2.1.3");
    const options = {
      homeDir: home,
      env: { PATH: join(onPath, "..") },
      versionRange: SUPPORTED_OPENCODE_RANGE,
    };
    // Without a range the 2.x on PATH wins: what a host with opencode 2 installed got so far.
    expect(resolveOpenCodeBinary({ ...options, versionRange: undefined })).toBe(onPath);
    expect(installed).toBe(join(home, ".opencode", "bin", "opencode"));

    expect(resolveOpenCodeBinary(options)).toBe(opencodeBinaryPath());
    const found = await findOpenCodeBinary(options);
    expect(found.binary).toBe(opencodeBinaryPath());
    expect(isSupportedOpenCodeVersion(found.version ?? "")).toBe(true);
  });

  it("lists what it skipped, with versions, when nothing is in the range", async () => {
    const two = await fakeReporting("v2-only", "2.0.0");
    const broken = await executable(join(temp.path, "broken", "opencode"), "exit 1");
    const empty = await emptyDir("v2-empty");
    const options = {
      homeDir: empty,
      packageRoots: [empty],
      // No arm64 package is installed here (the runner's NODE_PATH reaches the workspace's x64 one).
      platform: "linux" as const,
      arch: "arm64",
      env: { PATH: [join(two, ".."), join(broken, "..")].join(":") },
      versionRange: SUPPORTED_OPENCODE_RANGE,
    };
    const expected = (e: unknown): boolean => {
      if (!OpenCodeBinaryNotFoundError.isInstance(e)) return false;
      expect(e.skipped).toEqual([
        { binary: two, version: "2.0.0" },
        { binary: broken, version: undefined },
      ]);
      expect(e.versionRange).toBe(SUPPORTED_OPENCODE_RANGE);
      expect(e.message).toContain(`${two} (opencode 2.0.0)`);
      expect(e.message).toContain(`${broken} (opencode version unknown)`);
      expect(e.message).toContain(SUPPORTED_OPENCODE_RANGE);
      expect(e.message).toContain("npm install opencode-ai@1");
      // The official installer brings opencode 2: not offered as a way to a 1.x.
      expect(e.message).not.toContain("opencode.ai/install");
      return true;
    };
    expect(() => resolveOpenCodeBinary(options)).toThrow(expect.toSatisfy(expected));
    await expect(findOpenCodeBinary(options)).rejects.toSatisfy(expected);
  });

  it("returns an explicit binary as it is: its version is checked by whoever starts it", async () => {
    const two = await fakeReporting("v2-explicit", "2.0.0");
    const options = { versionRange: SUPPORTED_OPENCODE_RANGE, env: {} };
    expect(resolveOpenCodeBinary({ ...options, binary: two })).toBe(two);
    expect(resolveOpenCodeBinary({ ...options, env: { OPENCODE_BIN: two } })).toBe(two);
    expect(await findOpenCodeBinary({ ...options, binary: two })).toEqual({
      binary: two,
      version: undefined,
    });
  });

  it("refuses a range that is not one, and stops when its signal aborts", async () => {
    const two = await fakeReporting("v2-abort", "2.0.0");
    const isRangeError = (e: unknown): boolean =>
      InvalidServerOptionError.isInstance(e) && e.field === "versionRange";
    expect(() => resolveOpenCodeBinary({ versionRange: "one point three" })).toThrow(
      expect.toSatisfy(isRangeError),
    );
    await expect(findOpenCodeBinary({ versionRange: "one point three" })).rejects.toSatisfy(
      isRangeError,
    );
    const controller = new AbortController();
    controller.abort(new Error("search stopped"));
    await expect(
      findOpenCodeBinary({
        env: { PATH: join(two, "..") },
        versionRange: SUPPORTED_OPENCODE_RANGE,
        signal: controller.signal,
      }),
    ).rejects.toThrow("search stopped");
  });
});

describe("platform packages", () => {
  const glibcAvx2 = { musl: false, avx2: true };

  it("orders the variants by the traits given: baseline first without AVX2, musl first on musl", () => {
    expect(platformPackageNames("linux", "x64", glibcAvx2)).toEqual([
      "opencode-linux-x64",
      "opencode-linux-x64-baseline",
    ]);
    expect(platformPackageNames("linux", "x64", { musl: false, avx2: false })).toEqual([
      "opencode-linux-x64-baseline",
      "opencode-linux-x64",
    ]);
    expect(platformPackageNames("linux", "arm64", { musl: true, avx2: true })).toEqual([
      "opencode-linux-arm64-musl",
      "opencode-linux-arm64-baseline-musl",
      "opencode-linux-arm64",
      "opencode-linux-arm64-baseline",
    ]);
    expect(platformPackageNames("win32", "x64", glibcAvx2)[0]).toBe("opencode-windows-x64");
  });

  it("never probes this host for another platform, and a given answer is not kept for later calls", () => {
    expect(platformTraits("darwin", "arm64")).toEqual(glibcAvx2);
    expect(platformTraits("win32", "x64", { musl: true })).toEqual(glibcAvx2);
    expect(platformTraits("linux", "x64", { musl: true, avx2: false })).toEqual({
      musl: true,
      avx2: false,
    });
    expect(platformTraits("linux", "x64", { musl: false, avx2: true })).toEqual(glibcAvx2);
    // A foreign architecture on this host is not judged by this CPU's flags.
    const foreignArch = process.arch === "arm64" ? "x64" : "arm64";
    expect(platformTraits("linux", foreignArch, { musl: false }).avx2).toBe(true);
  });

  it("resolveOpenCodeBinary honours the injected platform, arch and traits", async () => {
    const root = await emptyDir("platform-root");
    for (const name of [
      "opencode-linux-x64",
      "opencode-linux-x64-musl",
      "opencode-linux-x64-baseline",
    ]) {
      const dir = join(root, "node_modules", name);
      await mkdir(join(dir, "bin"), { recursive: true });
      await writeFile(join(dir, "package.json"), JSON.stringify({ name, version: "1.18.33" }));
      await executable(join(dir, "bin", "opencode"));
    }
    const empty = await emptyDir("platform-home");
    const base = {
      homeDir: empty,
      env: {},
      packageRoots: [root],
      platform: "linux" as const,
      arch: "x64",
    };
    const binaryOf = (name: string): string => join(root, "node_modules", name, "bin", "opencode");
    expect(resolveOpenCodeBinary({ ...base, musl: true })).toBe(
      binaryOf("opencode-linux-x64-musl"),
    );
    expect(resolveOpenCodeBinary({ ...base, musl: false, avx2: true })).toBe(
      binaryOf("opencode-linux-x64"),
    );
    expect(resolveOpenCodeBinary({ ...base, musl: false, avx2: false })).toBe(
      binaryOf("opencode-linux-x64-baseline"),
    );
    // The npm package's own version is used: no binary is run for it.
    expect(
      resolveOpenCodeBinary({ ...base, musl: false, avx2: true, versionRange: ">=1.18 <2" }),
    ).toBe(binaryOf("opencode-linux-x64"));
  });
});
