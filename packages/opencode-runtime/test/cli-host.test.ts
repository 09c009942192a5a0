import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { RemotePool } from "@taos/opencode-host";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstLine } from "./cli-support.js";
import { pidsWithHome } from "./processes.js";

// `taos-opencode host` as a controller meets it: the built bin, a signed client.
const CLI = fileURLToPath(new URL("../bin/taos-opencode.js", import.meta.url));
const KEY = "sk-cli-host-key-93ab";
const SECRET = "cli-host-secret-0123456789abcdefghij";

let llm: FakeLiteLLM;
let root: TempHome;

beforeAll(async () => {
  const built = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
  if (!existsSync(built)) throw new Error(`build the package first: ${built} is missing`);
  llm = await startFakeLiteLLM({ keys: [KEY], models: ["m"] });
  root = await makeTempHome("taos-cli-host-");
});

afterAll(async () => {
  await llm?.close();
  await root?.cleanup();
});

function host(args: readonly string[], env: Record<string, string> = {}) {
  const { TAOS_HOST_SECRET: _drop, ...inherited } = process.env;
  return execa("node", [CLI, "host", ...args], {
    reject: false,
    stdin: "ignore",
    env: { ...inherited, ...env },
    extendEnv: false,
  });
}

describe("taos-opencode host", { timeout: 120_000 }, () => {
  it.each([
    [["--root", "/tmp/x", "--base-url", "http://127.0.0.1:9/v1"], {}, "TAOS_HOST_SECRET"],
    [["--base-url", "http://127.0.0.1:9/v1"], { TAOS_HOST_SECRET: SECRET }, "--root"],
    [["--root", "/tmp/x"], { TAOS_HOST_SECRET: SECRET }, "--base-url"],
    [
      ["--root", "/tmp/x", "--base-url", "http://x/v1", "--max-servers", "0"],
      { TAOS_HOST_SECRET: SECRET },
      "--max-servers",
    ],
    [
      ["--root", "/tmp/x", "--base-url", "http://x/v1", "--max-starts", "two"],
      { TAOS_HOST_SECRET: SECRET },
      "--max-starts",
    ],
  ])("exits 2 on %j, naming the flag, and starts nothing", async (args, env, flag) => {
    const result = await host(args, env);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(flag);
  });

  it("prints where it listens, takes signed calls and turns, and leaves no opencode after Ctrl-C", async () => {
    const child = host(["--root", root.path, "--base-url", llm.url, "--json"], {
      TAOS_HOST_SECRET: SECRET,
    });
    const line = await firstLine(child, "host");
    expect(line).not.toContain(SECRET);
    const info = JSON.parse(line) as { url: string; root: string };
    expect(info.root).toBe(root.path);
    const remote = new RemotePool({ url: info.url, secret: SECRET });
    try {
      await remote.register("cli-agent", { apiKey: KEY, modelIds: ["m"] });
      const result = await remote.turn(
        "cli-agent",
        "through the host command",
        "t-cli",
        () => undefined,
      );
      expect(result).toMatchObject({ status: "completed", text: "through the host command" });
      const wrong = new RemotePool({ url: info.url, secret: `${SECRET}-wrong` });
      await expect(wrong.stats()).rejects.toMatchObject({ statusCode: 401 });
      await wrong.close();
      expect(pidsWithHome(join(root.path, "cli-agent")).length).toBeGreaterThan(0);
    } finally {
      await remote.close();
    }
    child.kill("SIGINT");
    const exit = await child;
    expect(exit.exitCode).toBe(0);
    expect(exit.stderr).not.toContain(SECRET);
    expect(exit.stderr).not.toContain(KEY);
    expect(pidsWithHome(join(root.path, "cli-agent"))).toEqual([]);
  });
});
