import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import {
  eventually,
  makeTempHome,
  opencodeBinaryPath,
  readOpenCodeLog,
  scaled,
  type TempHome,
  waitForOpenCodeLog,
} from "@taos/testkit";
import { execa } from "execa";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { opencodeDatabasePath, START_DEADLINE_MS, startDeadlineFor } from "../src/first-start.js";
import { OpenCodeServer } from "../src/index.js";
import { blockingTurn, isGone, liveGroupMembers, recordingLogger } from "./helpers.js";

const KEY_A = "sk-agent-old-0123456789";
const KEY_B = "sk-agent-new-9876543210";

describe("real opencode serve", () => {
  let llm: FakeLiteLLM;
  let temp: TempHome;
  let server: OpenCodeServer;
  const logger = recordingLogger();
  const spawns = (): number =>
    logger.records.filter((r) => r.message === "opencode spawned").length;
  const litellm = (apiKey: string) => ({ baseURL: llm.url, apiKey, modelIds: ["fake-model"] });
  let currentKey = KEY_A;

  beforeAll(async () => {
    llm = await startFakeLiteLLM({ keys: [KEY_A, KEY_B], models: ["fake-model"] });
    temp = await makeTempHome("taos-oc-real-");
    server = new OpenCodeServer({
      home: temp.path,
      litellm: litellm(currentKey),
      binary: opencodeBinaryPath(),
      logger,
    });
    await server.ensureRunning();
  });

  // Every test starts from a running server, whichever ran before it (some stop it).
  beforeEach(async () => {
    await server.ensureRunning();
  });

  afterAll(async () => {
    await server?.stop();
    await llm?.close();
    await temp?.cleanup();
  });

  const turn = (text: string): Promise<string[]> => blockingTurn(server, text);

  it("starts and answers its health check", async () => {
    expect(server.isRunning()).toBe(true);
    expect(server.baseUrl).toBe(`http://127.0.0.1:${server.port}`);
    expect(await isGone(server.pid!)).toBe(false);
    expect(await server.healthCheck()).toBe(true);
    expect(server.auth?.username).toBe("opencode");
    expect(server.auth?.password.length).toBeGreaterThanOrEqual(24);
  });

  it("ensureRunning is idempotent: a healthy server is kept", async () => {
    const pid = server.pid;
    const before = spawns();
    await server.ensureRunning();
    await server.ensureRunning();
    expect(server.pid).toBe(pid);
    expect(spawns()).toBe(before);
  });

  it("the first start made opencode's database where the start deadline looks for it", async () => {
    // A fresh home had none (the long first-start deadline); later starts get the short one.
    expect((await stat(opencodeDatabasePath(temp.path))).isFile()).toBe(true);
    expect(startDeadlineFor(temp.path)).toBe(START_DEADLINE_MS);
  });

  it("reports opencode's version", async () => {
    const { stdout } = await execa(opencodeBinaryPath(), ["--version"]);
    expect(server.version).toBe(stdout.trim());
  });

  it("restart with a new key: the stand-in sees the new Bearer", async () => {
    const [before, after] = currentKey === KEY_A ? [KEY_A, KEY_B] : [KEY_B, KEY_A];
    llm.reset();
    expect(await turn("first turn")).toEqual(["first turn"]);
    expect(llm.requests.filter((r) => !r.isTitleRequest).map((r) => r.key)).toEqual([before]);
    const oldPid = server.pid!;
    server.updateConfig({ litellm: litellm(after) });
    currentKey = after;
    await server.restart();
    expect(server.pid).not.toBe(oldPid);
    expect(await isGone(oldPid)).toBe(true);
    llm.reset();
    expect(await turn("second turn")).toEqual(["second turn"]);
    const keys = llm.requests.map((r) => r.key);
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys)).toEqual(new Set([after]));
  });

  it("concurrent ensureRunning calls share one spawn", async () => {
    await server.stop();
    const before = spawns();
    await Promise.all(Array.from({ length: 5 }, () => server.ensureRunning()));
    expect(spawns() - before).toBe(1);
    expect(server.isRunning()).toBe(true);
  });

  it("the log file is private and never holds the key or the password", async () => {
    // A turn first: the key has then been used by this server.
    expect(await turn("a turn before the log is read")).toEqual(["a turn before the log is read"]);
    const logFile = join(temp.path, ".config", "opencode", "serve.log");
    const log = await readFile(logFile, "utf8");
    expect(log).toContain("opencode server listening on");
    for (const secret of [KEY_A, KEY_B, server.auth!.password]) expect(log).not.toContain(secret);
    expect((await stat(logFile)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(logFile))).mode & 0o777).toBe(0o700);
  });

  it("opencode's own state (database, logs, cache) sits in private directories", async () => {
    // After a real turn: opencode wrote opencode.db and its logs with its default umask.
    expect(await turn("a turn that writes state")).toEqual(["a turn that writes state"]);
    const files = await readdir(join(temp.path, ".local", "share", "opencode"));
    expect(files.some((name) => name.startsWith("opencode.db"))).toBe(true);
    for (const dir of [".config", ".local", ".local/share", ".local/state", ".cache"]) {
      expect({ dir, mode: (await stat(join(temp.path, dir))).mode & 0o777 }).toEqual({
        dir,
        mode: 0o700,
      });
    }
  });

  it("a server's first prompt does not wait for opencode's plugin install: its config directory is in sync", async () => {
    const turnsEnded = (log: string): number => log.split("exiting loop").length - 1;
    // A fresh server of this home: its first prompt is where opencode would wait for the install.
    await server.restart();
    const before = turnsEnded(await readOpenCodeLog(temp.path));
    expect(await turn("the first turn of this server")).toEqual(["the first turn of this server"]);
    // opencode writes its log behind: read it once it holds this turn's end.
    await waitForOpenCodeLog(temp.path, (text) => turnsEnded(text) > before, scaled(10_000));
    // 1.18 logs npm's failure about 2.5 s after the instance was created, sometimes after the
    // turn's end (the prompt waits for the install only when it is still running): look for it
    // a while longer. 1.3.0 runs `bun install` beside the prompt and logs no failure either way.
    const installFailed = await eventually(
      async () =>
        /dependency install failed|NpmInstallFailed/.test(await readOpenCodeLog(temp.path)),
      scaled(5_000),
      100,
    );
    expect(installFailed).toBe(false);
  });

  it("stop leaves no process, and is safe twice and before any start", async () => {
    const pid = server.pid!;
    await server.stop();
    expect(server.isRunning()).toBe(false);
    expect(server.pid).toBeUndefined();
    expect(await isGone(pid)).toBe(true);
    expect(await liveGroupMembers(pid)).toEqual([]);
    await server.stop();
    const never = new OpenCodeServer({ home: join(temp.path, "never"), litellm: litellm(KEY_A) });
    await never.stop();
    expect(never.isRunning()).toBe(false);
  });
});
