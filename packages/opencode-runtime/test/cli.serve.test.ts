import type { Reply } from "@taos/opencode-adapter";
import { isProcessAlive, scaled } from "@taos/testkit";
import { describe, expect, it } from "vitest";
import {
  startFakeOpenCode,
  statusEvent,
  userMessageEvent,
} from "../../opencode-adapter/test/fake-opencode.js";
import {
  cli,
  firstLine,
  home,
  KEY,
  llm,
  MODEL,
  sessionOf,
  upstream,
  useCliStack,
  withKey,
} from "./cli-support.js";
import { pidsWithHome } from "./processes.js";

useCliStack();

interface ServeInfo {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly pid: number;
}

/** `taos-opencode serve --json` in the background, once it printed its line. */
async function startServe(): Promise<{
  child: ReturnType<typeof cli>;
  line: string;
  info: ServeInfo;
}> {
  const child = cli(["serve", "--json", ...upstream()], withKey);
  const line = await firstLine(child, "serve");
  return { child, line, info: JSON.parse(line) as ServeInfo };
}

describe("taos-opencode serve", { timeout: scaled(120_000) }, () => {
  it("prints the URL and credentials, serves until SIGINT, then stops the server", async () => {
    const { child, line, info } = await startServe();
    expect(line).not.toContain(KEY);
    const unauthenticated = await fetch(`${info.url}/global/health`);
    expect(unauthenticated.status).toBe(401);
    const authorization = `Basic ${Buffer.from(`${info.username}:${info.password}`).toString("base64")}`;
    const healthy = await fetch(`${info.url}/global/health`, { headers: { authorization } });
    expect(healthy.status).toBe(200);
    child.kill("SIGINT");
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(isProcessAlive(info.pid)).toBe(false);
    expect(pidsWithHome(home.path)).toEqual([]);
  });

  it("takes turns from run --server, which starts nothing and continues a session", async () => {
    llm.setRules([
      { match: "remember 17", reply: { text: "I will remember 17." } },
      { match: "which number", reply: { text: "It was 17." } },
    ]);
    const { child, info } = await startServe();
    try {
      const env = { ...process.env, TAOS_OPENCODE_PASSWORD: info.password };
      const run = (args: string[]) =>
        cli(["run", ...args, "--server", info.url, "--model", MODEL], { env });
      const first = await run(["remember 17"]);
      expect(first.exitCode).toBe(0);
      expect(first.stdout).toBe("I will remember 17.");
      expect(pidsWithHome(home.path)).toEqual([info.pid]);
      const session = sessionOf(first.stderr);
      const second = await run(["which number", "--session", session]);
      expect(second.exitCode).toBe(0);
      expect(second.stdout).toBe("It was 17.");
      expect(sessionOf(second.stderr)).toBe(session);
      expect(`${first.stderr}${second.stderr}`).not.toContain(info.password);

      const wrong = await cli(["run", "hello", "--server", info.url], {
        env: { ...process.env, TAOS_OPENCODE_PASSWORD: "not-the-password-4e2" },
      });
      expect(wrong.exitCode).toBe(1);
      expect(wrong.stderr).toMatch(/^error: /m);
      expect(wrong.stderr).not.toContain("not-the-password-4e2");
    } finally {
      child.kill("SIGINT");
      await child;
    }
    expect(isProcessAlive(info.pid)).toBe(false);
  });

  it("exits 1 with a no_answer error when opencode takes the message and answers nothing", async () => {
    const fake = await startFakeOpenCode({
      onPrompt: (server, sessionID) => {
        server.send(userMessageEvent(sessionID, server.lastMessageId()));
        server.send(statusEvent(sessionID, "busy"));
        server.send(statusEvent(sessionID, "idle"));
      },
    });
    try {
      const run = await cli(["run", "hello", "--server", fake.url, "--model", MODEL, "--json"]);
      expect(run.exitCode).toBe(1);
      const replies = run.stdout.split("\n").map((line) => JSON.parse(line) as Reply);
      expect(replies).toEqual([expect.objectContaining({ kind: "error", code: "no_answer" })]);
    } finally {
      await fake.close();
    }
  });
});
