import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, scaled, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpenCodePool, type PoolEvents, type PoolStats, type Reply } from "../src/index.js";
import { homesWithProcesses, pidsUnder, sampleMax } from "./processes.js";

// The memory budget against the real binary. A server's RSS varies from host to
// host and run to run, so the budget is derived from one server measured here
// after its first turn (r): each server is counted r before it is measured and
// the budget is 2.5 r, so a second server fits beside a measured one and a third
// does not. Either side holds while each measured server is within 0.75-1.5 r.
const AGENTS = ["a", "b", "c"];
const PROBE = "probe";
const keyOf = (id: string): string => `sk-budget-${id}-4f1b2c`;
const STALL = "stall in this turn";

let llm: FakeLiteLLM;
let temp: TempHome;
let probeTemp: TempHome;
let pool: OpenCodePool;
/** One server's RSS (MiB) after its first turn, measured on a pool without a budget. */
let serverMiB: number;
let budgetMiB: number;
const stops: PoolEvents["stop"][] = [];

/** Measures the process tree of one real server after a first turn. */
async function measureOneServer(): Promise<number> {
  probeTemp = await makeTempHome("taos-pool-budget-probe-");
  const probe = new OpenCodePool({ root: probeTemp.path, litellm: { baseURL: llm.url } });
  try {
    await probe.register(PROBE, { apiKey: keyOf(PROBE), modelIds: ["m"] });
    const result = await probe.turn(PROBE, "measure me", {
      traceId: "t-probe",
      sink: () => undefined,
    });
    expect(result).toMatchObject({ status: "completed", text: "measure me" });
    const rss = (await probe.stats()).agents[0]?.rssMiB;
    if (rss === undefined || rss <= 0) throw new Error("the probe server's RSS was not readable");
    return rss;
  } finally {
    await probe.close({ graceMs: 0 });
  }
}

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [...AGENTS, PROBE].map(keyOf), models: ["m"] });
  serverMiB = await measureOneServer();
  expect(pidsUnder(probeTemp.path)).toEqual([]);
  budgetMiB = Math.round(2.5 * serverMiB);
  temp = await makeTempHome("taos-pool-budget-");
  pool = new OpenCodePool({
    root: temp.path,
    litellm: { baseURL: llm.url },
    // Room for more servers than the budget allows: the budget is what stops them.
    maxServers: 4,
    memoryBudgetMiB: budgetMiB,
    serverEstimateMiB: Math.round(serverMiB),
    queueTimeoutMs: 90_000,
  });
  pool.on("stop", (event) => void stops.push(event));
  for (const id of AGENTS) await pool.register(id, { apiKey: keyOf(id), modelIds: ["m"] });
}, scaled(120_000));

afterAll(async () => {
  await pool?.close({ graceMs: 0 });
  await llm?.close();
  await temp?.cleanup();
  await probeTemp?.cleanup();
});

const agentOf = (stats: PoolStats, id: string) =>
  stats.agents.find((agent) => agent.agentId === id);

const rssOf = (stats: PoolStats, id: string): number => agentOf(stats, id)?.rssMiB ?? 0;

const requestsFor = (text: string) =>
  llm.requests.filter((request) => !request.isTitleRequest && request.lastUserText === text);

/** A turn that echoes its own text, asserted to complete with it. */
async function echoTurn(id: string, text: string): Promise<void> {
  const result = await pool.turn(id, text, {
    traceId: `t-${id}-${text.length}`,
    sink: () => undefined,
  });
  expect(result).toMatchObject({ status: "completed", text });
}

/** The measured servers fit the margins the budget was built on (else the test's premise, not the pool, is off). */
function expectWithinMargins(label: string, figures: readonly number[]): void {
  for (const rss of figures) {
    expect(
      rss,
      `${label}: a server's RSS of ${rss} MiB against r = ${serverMiB} MiB`,
    ).toBeGreaterThan(0.75 * serverMiB);
    expect(
      rss,
      `${label}: a server's RSS of ${rss} MiB against r = ${serverMiB} MiB`,
    ).toBeLessThanOrEqual(1.5 * serverMiB);
  }
}

describe("OpenCodePool memory budget with the real opencode", () => {
  it(
    "turns of A, B, C: two servers fit the budget, C's start stops the least recently used idle one (A) for the budget",
    async () => {
      const sampler = sampleMax(() => homesWithProcesses(temp.path).size);
      await echoTurn("a", "first turn of a");
      const beforeB = await pool.stats();
      expectWithinMargins("before B", [rssOf(beforeB, "a")]);
      await echoTurn("b", "first turn of b");
      expect(stops).toEqual([]);
      const beforeC = await pool.stats();
      expect(beforeC).toMatchObject({ servers: 2, evictions: 0 });
      expectWithinMargins("before C", [rssOf(beforeC, "a"), rssOf(beforeC, "b")]);
      await echoTurn("c", "first turn of c");
      const peak = sampler.stop();

      expect(stops).toEqual([{ agentId: "a", reason: "budget" }]);
      const after = await pool.stats();
      expect(after).toMatchObject({ servers: 2, evictions: 1 });
      expect(agentOf(after, "a")).toMatchObject({ state: "stopped", pid: undefined, turns: 1 });
      expect(agentOf(after, "b")).toMatchObject({ state: "idle", pid: agentOf(beforeC, "b")?.pid });
      expect(agentOf(after, "c")).toMatchObject({ state: "idle", starts: 1 });
      expect(peak).toBeLessThanOrEqual(2);
      expect(homesWithProcesses(temp.path)).toEqual(
        new Set(["b", "c"].map((id) => `${temp.path}/${id}`)),
      );
      // Figures for the record: how far the measured servers sat from the budget's margins.
      console.info(
        `budget: r=${serverMiB.toFixed(0)} MiB, budget=${budgetMiB} MiB; a before B=${rssOf(beforeB, "a").toFixed(0)}; a,b before C=${rssOf(beforeC, "a").toFixed(0)},${rssOf(beforeC, "b").toFixed(0)}; b,c after C=${rssOf(after, "b").toFixed(0)},${rssOf(after, "c").toFixed(0)} MiB`,
      );
    },
    scaled(120_000),
  );

  it(
    "a server with a running turn is never stopped for the budget: the idle one goes, or the turn waits",
    async () => {
      llm.setRules([{ match: STALL, reply: { stall: { ms: 120_000 } } }]);
      const sampler = sampleMax(() => homesWithProcesses(temp.path).size);
      const abort = new AbortController();
      try {
        stops.length = 0;
        // b is the least recently used server; a turn stalls on it, so it is busy.
        const stalledB = pool.turn("b", STALL, {
          traceId: "t-stall-b",
          sink: () => undefined,
          signal: abort.signal,
        });
        await expect.poll(() => requestsFor(STALL).length, { timeout: scaled(60_000) }).toBe(1);
        const before = await pool.stats();
        expect(agentOf(before, "b")).toMatchObject({ state: "busy", runningTurns: 1 });
        expectWithinMargins("before A again", [rssOf(before, "b"), rssOf(before, "c")]);

        // a needs a server: over the budget, and only c is idle.
        await echoTurn("a", "second turn of a");
        expect(stops).toEqual([{ agentId: "c", reason: "budget" }]);
        const after = await pool.stats();
        expect(agentOf(after, "b")).toMatchObject({
          state: "busy",
          pid: agentOf(before, "b")?.pid,
          starts: 1,
        });
        expect(agentOf(after, "a")).toMatchObject({ state: "idle", starts: 2 });

        // Both servers busy: c's turn waits and ends pool_busy; nothing is stopped.
        const stalledA = pool.turn("a", STALL, {
          traceId: "t-stall-a",
          sink: () => undefined,
          signal: abort.signal,
        });
        await expect.poll(() => requestsFor(STALL).length, { timeout: scaled(60_000) }).toBe(2);
        const replies: Reply[] = [];
        const refused = await pool.turn("c", "no room", {
          traceId: "t-c-busy",
          sink: (reply) => void replies.push(reply),
          queueTimeoutMs: 1_000,
        });
        expect(refused.status).toBe("error");
        expect(replies).toMatchObject([{ kind: "error", code: "pool_busy" }]);
        expect(stops).toEqual([{ agentId: "c", reason: "budget" }]);
        expect(requestsFor("no room")).toEqual([]);

        abort.abort();
        const ended = await Promise.all([stalledB, stalledA]);
        expect(ended.map((result) => result.status)).toEqual(["aborted", "aborted"]);
        expect(sampler.stop()).toBeLessThanOrEqual(2);
        console.info(
          `budget: b (busy), c before A again=${rssOf(before, "b").toFixed(0)},${rssOf(before, "c").toFixed(0)}; a,b after=${rssOf(after, "a").toFixed(0)},${rssOf(after, "b").toFixed(0)} MiB`,
        );
      } finally {
        abort.abort();
        sampler.stop();
        llm.setRules([]);
      }
    },
    scaled(120_000),
  );

  it(
    "close() stops every server: no process with an agent home is left",
    async () => {
      await pool.close({ graceMs: 1_000 });
      expect(pidsUnder(temp.path)).toEqual([]);
      expect((await pool.stats()).servers).toBe(0);
    },
    scaled(120_000),
  );
});
