import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { opencodeBinaryPath } from "@taos/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenCodeServer, type OpenCodeServerOptions } from "../src/index.js";
import { blockingTurn, isGone, liveGroupMembers } from "./helpers.js";

const KEY = "sk-sandbox-real-0123456789";
// Agent B's LiteLLM key, in B's opencode.json: what A's bash tool must not read.
const SECRET = "sk-agent-b-secret-7f3a0123";

async function turn(server: OpenCodeServer, text: string): Promise<void> {
  await blockingTurn(server, text);
}

describe("real opencode serve under bubblewrap", () => {
  let llm: FakeLiteLLM;
  // Outside /tmp when the host has /var/tmp: the agents' root is then hidden by
  // its own tmpfs (the home's parent), not only by the private /tmp.
  let root: string;
  let otherHome: string;
  const servers: OpenCodeServer[] = [];

  beforeAll(async () => {
    llm = await startFakeLiteLLM({ keys: [KEY], models: ["fake-model"] });
    const base = existsSync("/var/tmp") ? "/var/tmp" : tmpdir();
    root = await mkdtemp(join(base, "taos-oc-sandbox-"));
    otherHome = join(root, "agent-b");
    const otherConfig = join(otherHome, ".config", "opencode");
    await mkdir(otherConfig, { recursive: true });
    await writeFile(
      join(otherConfig, "opencode.json"),
      JSON.stringify({ provider: { litellm: { options: { apiKey: SECRET } } } }),
    );
  });

  /** Forgets the requests so far; the stand-in's rule for the bash call stays. */
  function resetStandIn(): void {
    llm.reset();
    llm.setRules([
      {
        match: "read the other home",
        reply: {
          toolCalls: [
            {
              name: "bash",
              arguments: {
                command: "cat ../agent-b/.config/opencode/opencode.json 2>&1",
                description: "read",
              },
            },
          ],
          then: { text: "Read it." },
        },
      },
    ]);
  }

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  afterAll(async () => {
    await llm?.close();
    if (root) await rm(root, { recursive: true, force: true, maxRetries: 3 });
  });

  function serverOf(name: string, extra: Partial<OpenCodeServerOptions>): OpenCodeServer {
    const server = new OpenCodeServer({
      home: join(root, name),
      litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["fake-model"] },
      binary: opencodeBinaryPath(),
      // What a host that trusts its agents sets: nothing asks.
      permission: { bash: "allow", external_directory: "allow" },
      ...extra,
    });
    servers.push(server);
    return server;
  }

  it("starts, answers a turn, and stop() leaves neither bwrap nor anything of its group", async () => {
    const server = serverOf("agent-start", { sandbox: "bwrap" });
    await server.ensureRunning();
    const pid = server.pid!;
    expect(await server.healthCheck()).toBe(true);
    // The process we own is bwrap; opencode runs inside, in the same process group.
    const members = await liveGroupMembers(pid);
    expect(members.length).toBeGreaterThanOrEqual(3);
    resetStandIn();
    await turn(server, "hello from the sandbox");
    expect(llm.requests.filter((r) => !r.isTitleRequest).map((r) => r.lastUserText)).toEqual([
      "hello from the sandbox",
    ]);
    await server.stop();
    // opencode got the SIGTERM and ended within the grace, and bwrap, spared, exited after it with
    // opencode's status: had bwrap been signalled too, it would have died of SIGTERM itself and
    // taken opencode down with SIGKILL.
    const log = await readFile(
      join(root, "agent-start", ".config", "opencode", "serve.log"),
      "utf8",
    );
    expect(log).toContain(`stopping pid ${pid}`);
    expect(log).not.toContain("SIGKILL");
    expect(log).toMatch(new RegExp(`pid ${pid} exited \\(code \\d+, signal null\\)`));
    expect(await isGone(pid)).toBe(true);
    for (const member of members) expect(await isGone(member)).toBe(true);
    expect(await liveGroupMembers(pid)).toEqual([]);
  });

  it.each([
    ["bwrap", false],
    ["none", true],
  ] as const)(
    "sandbox %s: a bash tool can read another agent's key (opencode.json): %s",
    async (sandbox, readable) => {
      const server = serverOf(`agent-a-${sandbox}`, { sandbox });
      await server.ensureRunning();
      resetStandIn();
      await turn(server, "read the other home");
      const toolResults = llm.requests
        .flatMap((request) => request.messages)
        .filter((message) => message.role === "tool")
        .map((message) => JSON.stringify(message.content));
      expect(toolResults).toHaveLength(1);
      if (readable) {
        expect(toolResults[0]).toContain(SECRET);
      } else {
        expect(toolResults[0]).not.toContain(SECRET);
        expect(toolResults[0]).toContain("No such file or directory");
      }
    },
  );
});
