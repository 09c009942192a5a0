import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Reply } from "@taos/opencode-adapter";
import { scaled } from "@taos/testkit";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  AgentExistsError,
  InvalidPoolOptionError,
  OpenCodePool,
  type OpenCodePoolOptions,
  PoolClosedError,
  type PoolEvents,
  UnknownAgentError,
  UnsupportedPlatformError,
} from "../src/index.js";
import { assertRssReadable, treeRssMiB } from "../src/rss.js";
import { fakeLauncher, fakeTurns } from "./fakes.js";

let root: string;
let pool: OpenCodePool | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "taos-pool-unit-"));
});

afterEach(async () => {
  await pool?.close({ graceMs: 0 });
  pool = undefined;
  vi.useRealTimers();
  await rm(root, { recursive: true, force: true });
});

function newPool(options: Partial<OpenCodePoolOptions>): OpenCodePool {
  pool = new OpenCodePool({ root, litellm: { baseURL: "http://127.0.0.1:9/v1" }, ...options });
  return pool;
}

function collect(): { sink: (reply: Reply) => void; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

async function registerAll(p: OpenCodePool, ids: readonly string[]): Promise<void> {
  for (const id of ids) await p.register(id, { apiKey: `sk-${id}-key-0001`, modelIds: ["m"] });
}

function record<K extends keyof PoolEvents>(p: OpenCodePool, name: K): PoolEvents[K][] {
  const events: PoolEvents[K][] = [];
  p.on(name, (event) => void events.push(event));
  return events;
}

describe("bad input: typed errors or error replies, nothing launched", () => {
  it("refuses invalid ids, duplicates, unknown agents and turns after close", async () => {
    const launcher = fakeLauncher();
    const p = newPool({ launcher });
    for (const bad of ["..", "a/b", "", ".hidden", "-x", "a..b", "x".repeat(129)]) {
      const error = await p
        .register(bad, { apiKey: "sk-k", modelIds: ["m"] })
        .catch((e: unknown) => e);
      expect(InvalidPoolOptionError.isInstance(error) && error.field).toBe("register.agentId");
    }
    await p.register("alpha", { apiKey: "sk-alpha-secret", modelIds: ["m"] });
    expect((await stat(join(root, "alpha"))).mode & 0o777).toBe(0o700);
    await expect(p.register("alpha", { apiKey: "sk-k", modelIds: ["m"] })).rejects.toSatisfy(
      AgentExistsError.isInstance,
    );
    await expect(p.update("beta", { apiKey: "sk-k" })).rejects.toSatisfy(
      UnknownAgentError.isInstance,
    );
    const asUser = await p
      .register("gamma", { apiKey: "sk-k", modelIds: ["m"], user: { uid: -1, gid: 0 } })
      .catch((e: unknown) => e);
    expect(InvalidPoolOptionError.isInstance(asUser) && asUser.field).toBe(
      "register.settings.user.uid",
    );
    const badKey = await p
      .register("gamma", { apiKey: "", modelIds: ["m"] })
      .catch((e: unknown) => e);
    // The key is checked by the config package: its own error, naming the field.
    expect(badKey).toMatchObject({ name: "ConfigValidationError", field: "apiKey" });
    expect(await p.stats()).toMatchObject({ agents: [{ agentId: "alpha" }] });

    const unknown = collect();
    const result = await p.turn("beta", "hi", { traceId: "t-1", sink: unknown.sink });
    expect(result).toMatchObject({ status: "error", code: "unknown_agent" });
    expect(unknown.replies).toEqual([
      {
        kind: "error",
        trace_id: "t-1",
        error: expect.stringContaining("beta"),
        code: "unknown_agent",
      },
    ]);
    // The former positional form still works for one release.
    const positional = collect();
    const former = await p.turn("beta", "hi", "t-1", positional.sink);
    expect({ former, replies: positional.replies }).toEqual({
      former: result,
      replies: unknown.replies,
    });
    const badDir = collect();
    await p.turn("alpha", "hi", { traceId: "t-2", sink: badDir.sink, directory: "relative/dir" });
    expect(badDir.replies.map((r) => r.kind === "error" && r.code)).toEqual(["invalid_input"]);

    await p.close();
    const closed = collect();
    await p.turn("alpha", "hi", { traceId: "t-3", sink: closed.sink });
    expect(closed.replies).toEqual([
      { kind: "error", trace_id: "t-3", error: expect.any(String), code: "pool_closed" },
    ]);
    await expect(p.register("delta", { apiKey: "sk-k", modelIds: ["m"] })).rejects.toSatisfy(
      PoolClosedError.isInstance,
    );
    expect(launcher.launches).toHaveLength(0);
  });

  it("refuses bad pool options naming the field, and a memory budget off Linux", () => {
    const make = (options: object) => () =>
      new OpenCodePool({ root, litellm: { baseURL: "http://127.0.0.1:9/v1" }, ...options });
    expect(make({ root: "relative" })).toThrow(/"root"/);
    expect(make({ maxServers: 0 })).toThrow(/"maxServers"/);
    expect(make({ maxConcurrentStarts: 0 })).toThrow(/"maxConcurrentStarts"/);
    expect(make({ maxConcurrentStarts: 1.5 })).toThrow(/"maxConcurrentStarts"/);
    expect(make({ idleStopMs: -1 })).toThrow(/"idleStopMs"/);
    expect(make({ restart: { maxExits: 0 } })).toThrow(/"restart.maxExits"/);
    expect(make({ sandbox: "docker" })).toThrow(/"sandbox"/);
    expect(() => assertRssReadable("memoryBudgetMiB", "darwin")).toThrow(
      expect.objectContaining({ field: "memoryBudgetMiB", platform: "darwin" }),
    );
    let caught: unknown;
    try {
      assertRssReadable("memoryBudgetMiB", "win32");
    } catch (error) {
      caught = error;
    }
    expect(UnsupportedPlatformError.isInstance(caught)).toBe(true);
  });
});

describe("a server of an unsupported opencode version", () => {
  it("ends the turn with code unsupported_opencode_version, nothing sent to it", async () => {
    // opencode 2.x serves another API; only its health answer matters here.
    const seen: string[] = [];
    const http = createServer((request: IncomingMessage, response) => {
      seen.push(`${request.method} ${request.url}`);
      if (request.url !== "/global/health") return void response.writeHead(404).end();
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ healthy: true, version: "2.0.0" }));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const p = newPool({ launcher: fakeLauncher({ baseUrl: `http://127.0.0.1:${port}` }) });
      await registerAll(p, ["a"]);
      const { sink, replies } = collect();
      const result = await p.turn("a", "hi", { traceId: "t-v", sink });
      expect(result).toMatchObject({ status: "error", code: "unsupported_opencode_version" });
      expect(replies).toEqual([
        {
          kind: "error",
          trace_id: "t-v",
          error: expect.stringContaining("opencode 2.0.0"),
          code: "unsupported_opencode_version",
        },
      ]);
      expect(seen).toEqual(["GET /global/health"]);
    } finally {
      http.close();
    }
  });
});

describe("scheduling with a fake launcher", () => {
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

  it("keeps the server of an agent that comes back and evicts one that talked once, though more recent", async () => {
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

describe("directories and memory readings", () => {
  it("frees the opencode instance of a directory unused for idleStopMs, with the server's credentials", async () => {
    const seen: { method?: string; url?: string; auth?: string }[] = [];
    const http = createServer((request: IncomingMessage, response) => {
      seen.push({ method: request.method, url: request.url, auth: request.headers.authorization });
      response.end("true");
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = http.address() as AddressInfo;
      const launcher = fakeLauncher({ baseUrl: `http://127.0.0.1:${port}` });
      const quick = fakeTurns("complete");
      const held = fakeTurns("hold");
      const p = newPool({ launcher, idleStopMs: 300 });
      await registerAll(p, ["a"]);
      const disposed = record(p, "dispose");
      const other = join(root, "elsewhere");
      await p.turn("a", "there", {
        traceId: "t-1",
        sink: () => undefined,
        adapterFactory: quick.factory,
        directory: other,
      });
      // A turn in the agent's own directory keeps the server running while the other one
      // goes unused: the case the sweep is for. (An idle server would stop at about the same
      // time, and which of two timers due within a millisecond runs first is up to Node.)
      const working = p.turn("a", "here", {
        traceId: "t-2",
        sink: () => undefined,
        adapterFactory: held.factory,
      });
      await vi.waitFor(
        () => expect(disposed).toEqual([{ agentId: "a", directory: other, ok: true }]),
        { timeout: scaled(5_000) },
      );
      expect(held.held()).toBe(1);
      held.releaseAll();
      expect((await working).status).toBe("completed");
      expect(seen).toEqual([
        {
          method: "POST",
          url: `/instance/dispose?directory=${encodeURIComponent(other)}`,
          auth: `Basic ${Buffer.from("opencode:pw-a").toString("base64")}`,
        },
      ]);
    } finally {
      http.close();
    }
  });

  it("reads the RSS of a process tree from /proc", async () => {
    const rss = await treeRssMiB([process.pid, 999_999_999]);
    expect(rss.get(process.pid)).toBeGreaterThan(10);
    expect(rss.get(999_999_999)).toBe(0);
  });
});
