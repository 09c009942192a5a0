import { scaled } from "@taos/testkit";
import { describe, expect, it, vi } from "vitest";
import { fakeLauncher, fakeTurns } from "./fakes.js";
import { collect, newPool, record, registerAll, useFreshRoot } from "./unit-pool.js";

useFreshRoot();

describe("scheduling with a fake launcher: starts, evictions, crashes", () => {
  it("starts at most maxConcurrentStarts servers at once, the next as soon as one is taken by its turn", async () => {
    const launcher = fakeLauncher();
    const turns = fakeTurns("complete");
    const p = newPool({ launcher, maxServers: 4, maxConcurrentStarts: 1 });
    const ids = ["a", "b", "c", "d"];
    await registerAll(p, ids);
    const results = await Promise.all(
      ids.map((id) =>
        p.turn(id, `hello ${id}`, {
          traceId: `t-${id}`,
          sink: () => undefined,
          adapterFactory: turns.factory,
        }),
      ),
    );
    expect(results.map((result) => result.status)).toEqual(ids.map(() => "completed"));
    expect(launcher.peakStarting).toBe(1);
    expect(launcher.peak).toBe(4);
    await p.close();

    const together = fakeLauncher();
    const q = newPool({ launcher: together, maxServers: 4, maxConcurrentStarts: 4 });
    await registerAll(q, ids);
    await Promise.all(
      ids.map((id) =>
        q.turn(id, "hi", {
          traceId: `u-${id}`,
          sink: () => undefined,
          adapterFactory: turns.factory,
        }),
      ),
    );
    expect(together.peakStarting).toBe(4);
    await q.close();
  });

  it("evicts the least recently used idle server, never more than maxServers up", async () => {
    const launcher = fakeLauncher();
    const turns = fakeTurns("complete");
    const p = newPool({ launcher, maxServers: 2 });
    await registerAll(p, ["a", "b", "c"]);
    const stops = record(p, "stop");
    for (const id of ["a", "b", "a", "c"]) {
      const result = await p.turn(id, `hello ${id}`, {
        traceId: `t-${id}`,
        sink: () => undefined,
        adapterFactory: turns.factory,
      });
      expect(result).toMatchObject({ status: "completed", text: `hello ${id}` });
    }
    expect(stops).toEqual([{ agentId: "b", reason: "evicted" }]);
    expect(launcher.peak).toBe(2);
    expect(launcher.launches.map((l) => [l.agentId, l.litellm.apiKey])).toEqual([
      ["a", "sk-a-key-0001"],
      ["b", "sk-b-key-0001"],
      ["c", "sk-c-key-0001"],
    ]);
    expect((await p.stats()).evictions).toBe(1);
  });

  it("keeps the server of the agent with more recent turns and evicts one that talked once, though more recent", async () => {
    const turns = fakeTurns("complete");
    const p = newPool({ launcher: fakeLauncher(), maxServers: 2 });
    await registerAll(p, ["hot", "once", "new"]);
    const stops = record(p, "stop");
    for (const id of ["hot", "hot", "once", "new"]) {
      await p.turn(id, `hello ${id}`, {
        traceId: `t-${id}`,
        sink: () => undefined,
        adapterFactory: turns.factory,
      });
    }
    // Plain LRU would have stopped "hot", used least recently.
    expect(stops).toEqual([{ agentId: "once", reason: "evicted" }]);
    await p.close();
  });

  it(
    "queues FIFO while every server is busy, and ends a turn past queueTimeoutMs with pool_busy",
    async () => {
      const launcher = fakeLauncher();
      const held = fakeTurns("hold");
      const quick = fakeTurns("complete");
      const p = newPool({ launcher, maxServers: 1, queueTimeoutMs: 200 });
      await registerAll(p, ["a", "b", "c", "d"]);
      const queued = record(p, "queue");
      const first = p.turn("a", "long", {
        traceId: "t-a",
        sink: () => undefined,
        adapterFactory: held.factory,
      });
      await vi.waitFor(() => expect(held.held()).toBe(1));
      const busy = collect();
      const timedOut = await p.turn("d", "never", {
        traceId: "t-d",
        sink: busy.sink,
        adapterFactory: quick.factory,
      });
      expect(timedOut).toMatchObject({ status: "error", code: "pool_busy" });
      expect(busy.replies).toEqual([
        {
          kind: "error",
          trace_id: "t-d",
          error: expect.stringContaining("200 ms"),
          code: "pool_busy",
        },
      ]);

      const order: string[] = [];
      const b = p
        .turn("b", "b", { traceId: "t-b", sink: () => undefined, adapterFactory: quick.factory })
        .then((r) => order.push("b") && r);
      const c = p
        .turn("c", "c", { traceId: "t-c", sink: () => undefined, adapterFactory: quick.factory })
        .then((r) => order.push("c") && r);
      await vi.waitFor(() => expect(queued.map((q) => q.agentId)).toEqual(["a", "d", "b", "c"]));
      held.releaseAll();
      expect(await first).toMatchObject({ status: "completed" });
      expect(order.length).toBe(0);
      await Promise.all([b, c]);
      expect(order).toEqual(["b", "c"]);
      expect(launcher.peak).toBe(1);
    },
    scaled(10_000),
  );

  it("marks a crash-looping agent failing with an error reply naming the last exit, without blocking others", async () => {
    const launcher = fakeLauncher({ failStart: (id) => id === "broken" });
    const turns = fakeTurns("complete");
    const p = newPool({
      launcher,
      maxServers: 1,
      restart: { maxExits: 3, initialDelayMs: 10, maxDelayMs: 20 },
    });
    await registerAll(p, ["broken", "fine"]);
    const exits = record(p, "exit");
    const broken = collect();
    const [failed, ok] = await Promise.all([
      p.turn("broken", "hi", { traceId: "t-x", sink: broken.sink, adapterFactory: turns.factory }),
      p.turn("fine", "still here", {
        traceId: "t-f",
        sink: () => undefined,
        adapterFactory: turns.factory,
      }),
    ]);
    expect(ok).toMatchObject({ status: "completed", text: "still here" });
    expect(failed.status).toBe("error");
    expect(broken.replies).toEqual([
      {
        kind: "error",
        trace_id: "t-x",
        error: expect.stringMatching(
          /broken is failing \(last exit: start failed: fake opencode exited with code 1/,
        ),
        code: "agent_failing",
      },
    ]);
    expect(exits.map((e) => e.failing)).toEqual([false, false, true]);
    expect(launcher.launches.filter((l) => l.agentId === "broken")).toHaveLength(3);
    const stats = await p.stats();
    expect(stats.agents.find((a) => a.agentId === "broken")).toMatchObject({
      state: "failing",
      unexpectedExits: 3,
    });
    // Failing: refused at once, nothing launched, until reset().
    const again = collect();
    await p.turn("broken", "hi", {
      traceId: "t-y",
      sink: again.sink,
      adapterFactory: turns.factory,
    });
    expect(again.replies.map((r) => r.kind === "error" && r.code)).toEqual(["agent_failing"]);
    expect(launcher.launches.filter((l) => l.agentId === "broken")).toHaveLength(3);
    p.reset("broken");
    await p.turn("broken", "hi", {
      traceId: "t-z",
      sink: () => undefined,
      adapterFactory: turns.factory,
    });
    expect(launcher.launches.filter((l) => l.agentId === "broken").length).toBeGreaterThan(3);
  });

  it("restarts a server that crashed between turns, after the back-off", async () => {
    const launcher = fakeLauncher();
    const turns = fakeTurns("complete");
    const p = newPool({ launcher, restart: { initialDelayMs: 20 } });
    await registerAll(p, ["a"]);
    await p.turn("a", "one", {
      traceId: "t-1",
      sink: () => undefined,
      adapterFactory: turns.factory,
    });
    launcher.crash("a");
    expect((await p.stats()).agents[0]).toMatchObject({
      state: "stopped",
      unexpectedExits: 1,
      lastExit: "killed by SIGKILL",
    });
    const second = await p.turn("a", "two", {
      traceId: "t-2",
      sink: () => undefined,
      adapterFactory: turns.factory,
      sessionId: "ses_keep",
    });
    expect(second).toMatchObject({ status: "completed", sessionId: "ses_keep" });
    expect(launcher.launches).toHaveLength(2);
  });
});
