import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, scaled, type TempHome, waitForProcessExit } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenCodePool, type PoolEvents, type Reply } from "../src/index.js";
import { homesWithProcesses, pidsUnder, sampleMax } from "./processes.js";

// Six agents on two servers: the pool's main promises against the real binary.
const AGENTS = ["a1", "a2", "a3", "a4", "a5", "a6"];
const keyOf = (id: string): string => `sk-pool-${id}-7d3e9a`;
const ROTATED = "sk-pool-a1-rotated-51c0";

let llm: FakeLiteLLM;
let temp: TempHome;
let pool: OpenCodePool;
const stops: (PoolEvents["stop"] & { finishedTurns: string[] })[] = [];
const finished = new Set<string>();
const sessions = new Map<string, string>();

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [...AGENTS.map(keyOf), ROTATED], models: ["m"] });
  temp = await makeTempHome("taos-pool-real-");
  pool = new OpenCodePool({
    root: temp.path,
    litellm: { baseURL: llm.url },
    maxServers: 2,
    queueTimeoutMs: 90_000,
    restart: { initialDelayMs: 100 },
  });
  pool.on("stop", (event) => void stops.push({ ...event, finishedTurns: [...finished] }));
  for (const id of AGENTS) await pool.register(id, { apiKey: keyOf(id), modelIds: ["m"] });
});

afterAll(async () => {
  await pool?.close({ graceMs: 0 });
  await llm?.close();
  await temp?.cleanup();
});

function collect(): { sink: (reply: Reply) => void; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

const requestsFor = (text: string) =>
  llm.requests.filter((request) => !request.isTitleRequest && request.lastUserText === text);

describe("OpenCodePool with the real opencode", () => {
  it(
    "6 agents, maxServers 2, all at once: each turn with its own key, never more than 2 servers, only idle ones evicted",
    async () => {
      const sampler = sampleMax(() => homesWithProcesses(temp.path).size);
      const results = await Promise.all(
        AGENTS.map((id) =>
          // The terminal reply marks the turn's end, before the pool may call the server idle.
          pool.turn(id, `hello from ${id}`, {
            traceId: `t-${id}`,
            sink: (reply) => {
              if (reply.kind === "final" || reply.kind === "error") finished.add(id);
            },
          }),
        ),
      );
      const peak = sampler.stop();
      for (const [i, id] of AGENTS.entries()) {
        expect(results[i]).toMatchObject({ status: "completed", text: `hello from ${id}` });
        sessions.set(id, results[i]?.sessionId ?? "");
        const seen = requestsFor(`hello from ${id}`);
        expect(seen.length).toBeGreaterThan(0);
        expect(new Set(seen.map((request) => request.key))).toEqual(new Set([keyOf(id)]));
      }
      expect(peak).toBeLessThanOrEqual(2);
      expect(stops.length).toBeGreaterThanOrEqual(4);
      for (const stop of stops) {
        expect(stop.reason).toBe("evicted");
        // Evicted only once its own turn had ended: it was idle.
        expect(stop.finishedTurns).toContain(stop.agentId);
      }
      const stats = await pool.stats();
      expect(stats.servers).toBeLessThanOrEqual(2);
      expect(stats.evictions).toBe(stops.length);
      // Three rounds of two cold starts, each with its first turn: slow on a loaded 2-core host.
    },
    scaled(240_000),
  );

  it("an evicted agent continues its conversation: the model sees the earlier exchange", async () => {
    expect((await pool.stats()).agents.find((agent) => agent.agentId === "a1")?.state).toBe(
      "stopped",
    );
    const { sink, replies } = collect();
    const result = await pool.turn("a1", "do you remember?", {
      traceId: "t-again",
      sink,
      sessionId: sessions.get("a1") ?? "",
    });
    expect(result).toMatchObject({ status: "completed", sessionId: sessions.get("a1") });
    expect(replies.at(-1)?.kind).toBe("final");
    const request = requestsFor("do you remember?").at(-1);
    const earlier = JSON.stringify(request?.messages ?? []);
    expect(earlier).toContain("hello from a1");
    expect((await pool.stats()).agents.find((agent) => agent.agentId === "a1")?.starts).toBe(2);
  });

  it("update() with a new key: the stand-in sees it on the next turn", async () => {
    await pool.update("a1", { apiKey: ROTATED });
    expect(stops.at(-1)).toMatchObject({ agentId: "a1", reason: "updated" });
    const result = await pool.turn("a1", "with the new key", {
      traceId: "t-rotated",
      sink: () => undefined,
    });
    expect(result.status).toBe("completed");
    expect(requestsFor("with the new key").map((request) => request.key)).toEqual([ROTATED]);
  });

  it("a server SIGKILLed between turns is restarted by the next turn", async () => {
    const before = (await pool.stats()).agents.find((agent) => agent.agentId === "a1");
    const pid = before?.pid;
    if (pid === undefined) throw new Error("a1 has no server");
    process.kill(pid, "SIGKILL");
    expect(await waitForProcessExit(pid)).toBe(true);
    await expect
      .poll(
        async () =>
          (await pool.stats()).agents.find((agent) => agent.agentId === "a1")?.unexpectedExits,
      )
      .toBe(1);
    const result = await pool.turn("a1", "after the kill", {
      traceId: "t-kill",
      sink: () => undefined,
    });
    expect(result.status).toBe("completed");
    const after = (await pool.stats()).agents.find((agent) => agent.agentId === "a1");
    expect(after).toMatchObject({ state: "idle", starts: (before?.starts ?? 0) + 1 });
    expect(after?.pid).not.toBe(pid);
  });

  it("every server busy with a stalled turn: a further turn ends with pool_busy after its queue timeout", async () => {
    llm.setRules([{ match: "stall here", reply: { stall: { ms: 120_000 } } }]);
    const abort = new AbortController();
    try {
      const running = (await pool.stats()).agents.filter((agent) => agent.state === "idle");
      expect(running).toHaveLength(2);
      const stalled = running.map((agent) =>
        pool.turn(agent.agentId, "stall here", {
          traceId: `t-stall-${agent.agentId}`,
          sink: () => undefined,
          signal: abort.signal,
        }),
      );
      await expect
        .poll(() => requestsFor("stall here").length, { timeout: scaled(30_000) })
        .toBe(2);
      const idle = AGENTS.find((id) => !running.some((agent) => agent.agentId === id)) ?? "";
      const { sink, replies } = collect();
      const refused = await pool.turn(idle, "no room", {
        traceId: "t-busy",
        sink,
        queueTimeoutMs: 1_000,
      });
      expect(refused.status).toBe("error");
      expect(replies).toEqual([
        {
          kind: "error",
          trace_id: "t-busy",
          error: expect.stringContaining("1000 ms"),
          code: "pool_busy",
        },
      ]);
      abort.abort();
      const ended = await Promise.all(stalled);
      expect(ended.map((result) => result.status)).toEqual(["aborted", "aborted"]);
    } finally {
      llm.setRules([]);
    }
  });

  it("close() stops every server: no process with an agent home is left", async () => {
    await pool.close({ graceMs: 1_000 });
    expect(pidsUnder(temp.path)).toEqual([]);
  });
});
