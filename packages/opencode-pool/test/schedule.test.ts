import { describe, expect, it } from "vitest";
import { AgentRecord } from "../src/agent.js";
import { DEFAULT_RESTART_POLICY } from "../src/index.js";
import {
  chooseEviction,
  decideAdmission,
  decideRestart,
  holdsSlot,
  ImpossibleTransitionError,
  nextPhase,
  pickNext,
  RECENT_TURNS_PER_SERVER,
  recentTurns,
  staleDirectories,
} from "../src/internals.js";
import { defaultStarts } from "../src/options.js";

const slot = (agentId: string, phase: string, lastUseSeq: number, rssMiB?: number) => ({
  agentId,
  phase,
  lastUseSeq,
  ...(rssMiB === undefined ? {} : { rssMiB }),
});

describe("chooseEviction", () => {
  it("takes the least recently used idle server and never a busy or starting one", () => {
    expect(
      chooseEviction([
        slot("a", "busy", 1),
        slot("b", "idle", 5),
        slot("c", "idle", 3),
        slot("d", "starting", 0),
      ]),
    ).toBe("c");
    expect(chooseEviction([slot("a", "busy", 1), slot("b", "stopping", 0)])).toBeUndefined();
  });
  it("stops the agent with the fewest recent turns first, however recent its last use", () => {
    const talked = (agentId: string, lastUseSeq: number, recentTurns: number) => ({
      ...slot(agentId, "idle", lastUseSeq),
      recentTurns,
    });
    expect(chooseEviction([talked("hot", 1, 5), slot("once", "idle", 9)])).toBe("once");
    expect(chooseEviction([talked("hot", 1, 5), talked("warm", 9, 2)])).toBe("warm");
    expect(chooseEviction([talked("a", 7, 3), talked("b", 4, 3), slot("c", "busy", 0)])).toBe("b");
    expect(chooseEviction([talked("a", 7, 9), slot("b", "busy", 1)])).toBe("a");
  });
});

describe("recentTurns", () => {
  it("counts the agent's turns among the pool's last 8 x maxServers turns", () => {
    expect(RECENT_TURNS_PER_SERVER).toBe(8);
    expect(recentTurns([10, 40, 57], 57, 6)).toBe(3);
    expect(recentTurns([10, 40, 57], 58, 6)).toBe(2);
    expect(recentTurns([9, 10], 58, 6)).toBe(0);
    expect(recentTurns([], 3, 6)).toBe(0);
    expect(recentTurns([2, 3], 9, 1)).toBe(2);
    expect(recentTurns([2, 3], 10, 1)).toBe(1);
  });
});

describe("decideAdmission", () => {
  const limits = { maxServers: 2, startEstimateMiB: 500 };
  it("starts while under maxServers", () => {
    expect(decideAdmission([slot("a", "busy", 1)], limits)).toEqual({ kind: "start" });
  });
  it("evicts the LRU idle server when full, and waits when every server is busy", () => {
    expect(decideAdmission([slot("a", "idle", 9), slot("b", "idle", 2)], limits)).toEqual({
      kind: "evict",
      agentId: "b",
      reason: "evicted",
    });
    expect(decideAdmission([slot("a", "busy", 9), slot("b", "busy", 2)], limits)).toEqual({
      kind: "wait",
    });
  });
  it("waits while a server is stopping rather than evicting a second one", () => {
    expect(decideAdmission([slot("a", "stopping", 1), slot("b", "idle", 2)], limits)).toEqual({
      kind: "wait",
    });
  });
  it("evicts for the memory budget with the measured RSS, and always lets a first server start", () => {
    const budget = { maxServers: 10, startEstimateMiB: 500, memoryBudgetMiB: 1200 };
    expect(decideAdmission([slot("a", "idle", 1, 300)], budget)).toEqual({ kind: "start" });
    expect(decideAdmission([slot("a", "idle", 1, 800)], budget)).toEqual({
      kind: "evict",
      agentId: "a",
      reason: "budget",
    });
    expect(decideAdmission([], { ...budget, memoryBudgetMiB: 100 })).toEqual({ kind: "start" });
  });
});

describe("decideAdmission with maxStarting", () => {
  const limits = { maxServers: 4, startEstimateMiB: 500, maxStarting: 1 };
  it("waits while maxStarting servers are starting, with room and an idle server to evict", () => {
    expect(decideAdmission([slot("a", "starting", 1)], limits)).toEqual({ kind: "wait" });
    const full = [slot("a", "starting", 1), slot("b", "idle", 0), slot("c", "busy", 2)];
    expect(decideAdmission(full, { ...limits, maxServers: 3 })).toEqual({ kind: "wait" });
  });
  it("starts once the starting ones are ready, and counts only `starting` servers", () => {
    expect(decideAdmission([slot("a", "idle", 1), slot("b", "busy", 2)], limits)).toEqual({
      kind: "start",
    });
    expect(decideAdmission([slot("a", "starting", 1)], { ...limits, maxStarting: 2 })).toEqual({
      kind: "start",
    });
  });
});

describe("pickNext", () => {
  it("serves the head first, except a waiter whose agent already has a server (it needs no slot)", () => {
    const queue = [{ agentId: "a" }, { agentId: "b" }, { agentId: "c" }];
    expect(pickNext(queue, () => true)).toEqual({ index: 0, needsSlot: true });
    expect(pickNext(queue, (id) => id !== "c")).toEqual({ index: 2, needsSlot: false });
    expect(pickNext([], () => true)).toBeUndefined();
  });
});

describe("decideRestart", () => {
  const policy = {
    ...DEFAULT_RESTART_POLICY,
    maxExits: 3,
    windowMs: 1_000,
    initialDelayMs: 100,
    maxDelayMs: 150,
  };
  it("backs off exponentially up to maxDelayMs, then gives up at maxExits within the window", () => {
    expect(decideRestart([1_000], 1_000, policy)).toEqual({ kind: "retry", delayMs: 100 });
    expect(decideRestart([900, 1_000], 1_000, policy)).toEqual({ kind: "retry", delayMs: 150 });
    expect(decideRestart([800, 900, 1_000], 1_000, policy)).toEqual({ kind: "failing" });
  });
  it("forgets exits older than the window", () => {
    expect(decideRestart([0, 10, 1_500], 1_500, policy)).toEqual({ kind: "retry", delayMs: 100 });
  });
});

describe("staleDirectories", () => {
  it("lists the directories unused for idleMs", () => {
    const used = new Map([
      ["/w/old", 0],
      ["/w/new", 900],
    ]);
    expect(staleDirectories(used, 1_000, 500)).toEqual(["/w/old"]);
  });
});

describe("agent phases", () => {
  it("follow the named transitions and refuse the others", () => {
    expect(nextPhase("stopped", "launch")).toBe("starting");
    expect(nextPhase("starting", "ready")).toBe("idle");
    expect(nextPhase("idle", "turnBegan")).toBe("busy");
    expect(nextPhase("busy", "turnsDone")).toBe("idle");
    expect(nextPhase("idle", "stop")).toBe("stopping");
    expect(nextPhase("busy", "exited")).toBe("stopped");
    expect(nextPhase("stopped", "giveUp")).toBe("failing");
    expect(nextPhase("failing", "reset")).toBe("stopped");
    expect(nextPhase("failing", "launch")).toBeUndefined();
    expect(nextPhase("stopping", "turnBegan")).toBeUndefined();
    expect(["starting", "idle", "busy", "stopping"].every((p) => holdsSlot(p as never))).toBe(true);
    expect(holdsSlot("failing") || holdsSlot("stopped")).toBe(false);
  });
});

describe("an agent's transitions", () => {
  const settings = { apiKey: "sk-a-key-0001", modelIds: ["m"] };

  it("throws on a transition its phase cannot take, and changes nothing", () => {
    const record = new AgentRecord("a", "/home/a", settings);
    expect(() => record.transition("ready")).toThrow(ImpossibleTransitionError);
    expect(() => record.transition("ready")).toThrow(
      'agent a: transition "ready" cannot happen in phase "stopped"',
    );
    expect(record.phase).toBe("stopped");
    record.transition("launch");
    expect(record.phase).toBe("starting");
  });

  it("tryTransition tells whether it happened, for the callers to whom both are expected", async () => {
    const record = new AgentRecord("a", "/home/a", settings);
    expect(record.tryTransition("turnsDone")).toBe(false);
    expect(record.phase).toBe("stopped");
    const changed = record.changed();
    expect(record.tryTransition("launch")).toBe(true);
    await changed;
    expect(record.phase).toBe("starting");
  });
});

describe("defaultStarts", () => {
  it("lets one start per core, at least one", () => {
    expect(defaultStarts(2)).toBe(2);
    expect(defaultStarts(8)).toBe(8);
    expect(defaultStarts(0)).toBe(1);
  });
});
