import { stat } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { scaled } from "@taos/testkit";
import { describe, expect, it, vi } from "vitest";
import {
  AgentExistsError,
  InvalidPoolOptionError,
  OpenCodePool,
  PoolClosedError,
  UnknownAgentError,
  UnsupportedPlatformError,
} from "../src/index.js";
import { assertRssReadable, treeRssMiB } from "../src/rss.js";
import { fakeLauncher, fakeTurns } from "./fakes.js";
import { collect, newPool, record, registerAll, root, useFreshRoot } from "./unit-pool.js";

useFreshRoot();
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
