import { stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { fakeLauncher, fakeTurns } from "./fakes.js";
import { collect, newPool, record, registerAll, root, useFreshRoot } from "./unit-pool.js";

useFreshRoot();

describe("scheduling with a fake launcher: update, idle stop, close, unregister", () => {
  it("update() of an idle agent stops its server; the next start carries the new key", async () => {
    const launcher = fakeLauncher();
    const turns = fakeTurns("complete");
    const p = newPool({ launcher });
    await registerAll(p, ["a"]);
    const stops = record(p, "stop");
    await p.turn("a", "one", {
      traceId: "t-1",
      sink: () => undefined,
      adapterFactory: turns.factory,
    });
    await p.update("a", { apiKey: "sk-a-rotated-0002" });
    expect(stops).toEqual([{ agentId: "a", reason: "updated" }]);
    await p.turn("a", "two", {
      traceId: "t-2",
      sink: () => undefined,
      adapterFactory: turns.factory,
    });
    expect(launcher.launches.map((l) => l.litellm.apiKey)).toEqual([
      "sk-a-key-0001",
      "sk-a-rotated-0002",
    ]);
  });

  it("stops a server idle for idleStopMs (fake timers) and leaves no timer after close", async () => {
    vi.useFakeTimers();
    const launcher = fakeLauncher();
    const turns = fakeTurns("complete");
    const p = newPool({ launcher, idleStopMs: 60_000 });
    await registerAll(p, ["a"]);
    const stops = record(p, "stop");
    await p.turn("a", "one", {
      traceId: "t-1",
      sink: () => undefined,
      adapterFactory: turns.factory,
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(stops).toEqual([]);
    await p.turn("a", "two", {
      traceId: "t-2",
      sink: () => undefined,
      adapterFactory: turns.factory,
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(stops).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stops).toEqual([{ agentId: "a", reason: "idle" }]);
    expect(launcher.running.size).toBe(0);
    await p.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("close() lets running turns end within graceMs, then aborts them and stops every server", async () => {
    const launcher = fakeLauncher();
    const held = fakeTurns("hold");
    const p = newPool({ launcher });
    await registerAll(p, ["a", "b"]);
    const stops = record(p, "stop");
    const running = p.turn("a", "long", {
      traceId: "t-a",
      sink: () => undefined,
      adapterFactory: held.factory,
    });
    await vi.waitFor(() => expect(held.held()).toBe(1));
    await p.close({ graceMs: 50 });
    expect(await running).toMatchObject({ status: "aborted" });
    expect(stops).toEqual([{ agentId: "a", reason: "shutdown" }]);
    expect(launcher.running.size).toBe(0);
  });

  it("close() during a server start ends the start and the turn, and returns", async () => {
    const launcher = fakeLauncher({ hangStart: true });
    const p = newPool({ launcher });
    await registerAll(p, ["a"]);
    const { sink, replies } = collect();
    const turn = p.turn("a", "hi", { traceId: "t-a", sink });
    await vi.waitFor(() => expect(launcher.launches).toHaveLength(1));
    await p.close({ graceMs: 0 });
    expect(await turn).toMatchObject({ status: "aborted", code: "aborted" });
    expect(replies).toEqual([
      { kind: "error", trace_id: "t-a", error: "turn aborted", code: "aborted" },
    ]);
    expect((await p.stats()).agents[0]?.state).toBe("stopped");
  });

  it("unregister() stops the agent's server and deletes its home when asked", async () => {
    const launcher = fakeLauncher();
    const turns = fakeTurns("complete");
    const p = newPool({ launcher });
    await registerAll(p, ["a"]);
    await p.turn("a", "one", {
      traceId: "t-1",
      sink: () => undefined,
      adapterFactory: turns.factory,
    });
    await p.unregister("a", { deleteHome: true });
    expect(launcher.running.size).toBe(0);
    await expect(stat(join(root, "a"))).rejects.toThrow();
    const gone = collect();
    await p.turn("a", "two", { traceId: "t-2", sink: gone.sink });
    expect(gone.replies.map((r) => r.kind === "error" && r.code)).toEqual(["unknown_agent"]);
  });
});
