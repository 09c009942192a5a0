import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type Launcher,
  localLauncher,
  OpenCodePool,
  type PoolEvents,
  type Reply,
} from "../src/index.js";
import { fakeLauncher, fakeTurns } from "./fakes.js";

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "taos-pool-crash-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("a crash loop", () => {
  it("an opencode that exits at once: the agent is failing after maxExits tries, the others go on", async () => {
    // A stand-in executable that dies before it listens, as a broken install would.
    const broken = join(root, "broken-opencode");
    await writeFile(broken, `#!/bin/sh\necho "fatal: cannot start" >&2\nexit 3\n`);
    await chmod(broken, 0o755);
    const local = localLauncher({ binary: broken, sandbox: "none" });
    const others = fakeLauncher();
    const launcher: Launcher = {
      launch: (agent) => (agent.agentId === "broken" ? local.launch(agent) : others.launch(agent)),
    };
    await using pool = new OpenCodePool({
      root: join(root, "agents"),
      litellm: { baseURL: "http://127.0.0.1:9/v1" },
      launcher,
      maxServers: 1,
      restart: { maxExits: 3, initialDelayMs: 20, maxDelayMs: 50 },
    });
    await pool.register("broken", { apiKey: "sk-broken-agent-1", modelIds: ["m"] });
    await pool.register("fine", { apiKey: "sk-fine-agent-1", modelIds: ["m"] });
    const exits: PoolEvents["exit"][] = [];
    pool.on("exit", (event) => void exits.push(event));
    const replies: Reply[] = [];
    const turns = fakeTurns("complete");
    const [failed, ok] = await Promise.all([
      pool.turn("broken", "hi", { traceId: "t-broken", sink: (reply) => void replies.push(reply) }),
      pool.turn("fine", "still served", {
        traceId: "t-fine",
        sink: () => undefined,
        adapterFactory: turns.factory,
      }),
    ]);
    expect(ok).toMatchObject({ status: "completed", text: "still served" });
    expect(failed.status).toBe("error");
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ kind: "error", code: "agent_failing" });
    const message = replies[0]?.kind === "error" ? replies[0].error : "";
    expect(message).toMatch(/last exit: start failed: .*(code 3|exited)/);
    expect(message).not.toContain("sk-broken-agent-1");
    expect(exits.map((exit) => exit.failing)).toEqual([false, false, true]);
    const stats = await pool.stats();
    expect(stats.agents.find((agent) => agent.agentId === "broken")).toMatchObject({
      state: "failing",
      unexpectedExits: 3,
      starts: 0,
    });
  });
});
