import { chmod, mkdir, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { isProcessAlive, scaled, waitForProcessExit } from "@taos/testkit";
import { describe, expect, it } from "vitest";
import { OpenCodeRuntime, TaosOpenCodeError } from "../src/index.js";
import { pidsWithHome } from "./processes.js";
import {
  collect,
  home,
  KEY,
  llm,
  newRuntime,
  track,
  turnRequests,
  useRuntimeStack,
} from "./runtime-stack.js";

useRuntimeStack();

describe("OpenCodeRuntime: restarts, stops, refusals", () => {
  it("restarts a server that was SIGKILLed, and the session survives", async () => {
    const rt = newRuntime();
    const first = await rt.turn("before the kill", { traceId: "t-1", sink: () => undefined });
    expect(first.status).toBe("completed");
    const pid = rt.server.pid;
    if (pid === undefined) throw new Error("no pid after a turn");
    process.kill(pid, "SIGKILL");
    expect(await waitForProcessExit(pid)).toBe(true);
    const { sink, replies } = collect();
    const second = await rt.turn("after the kill", {
      traceId: "t-2",
      sink,
      sessionId: first.sessionId,
    });
    expect(second).toMatchObject({ status: "completed", text: "after the kill" });
    expect(second.sessionId).toBe(first.sessionId);
    expect(replies.at(-1)?.kind).toBe("final");
    expect(rt.server.pid).not.toBe(pid);
    expect(rt.server.isRunning()).toBe(true);
  });

  it("Symbol.asyncDispose stops the server", async () => {
    let pid: number | undefined;
    {
      await using rt = new OpenCodeRuntime({
        server: {
          home: home.path,
          litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["first-model"] },
        },
      });
      await rt.start();
      pid = rt.server.pid;
      expect(pid !== undefined && isProcessAlive(pid)).toBe(true);
    }
    expect(pid !== undefined && isProcessAlive(pid)).toBe(false);
    expect(pidsWithHome(home.path)).toEqual([]);
  });

  it("stop() aborts a running turn and stops the server; a later turn reports the stop", async () => {
    llm.setRules([{ match: "hold on", reply: { stall: { ms: 120_000 } } }]);
    try {
      const rt = newRuntime();
      const seen = turnRequests().length;
      const { sink, replies } = collect();
      const pending = rt.turn("hold on", { traceId: "t-stop", sink });
      await expect
        .poll(() => turnRequests().length > seen, { timeout: scaled(45_000), interval: 50 })
        .toBe(true);
      await rt.stop();
      const result = await pending;
      expect(result).toMatchObject({ status: "aborted", code: "aborted" });
      expect(replies.filter((reply) => reply.kind === "error")).toEqual([
        expect.objectContaining({ code: "aborted" }),
      ]);
      expect(pidsWithHome(home.path)).toEqual([]);

      const after = collect();
      const refused = await rt.turn("anyone there?", { traceId: "t-after", sink: after.sink });
      const error = "the runtime is stopped (start() opens it again)";
      expect(refused).toEqual({
        sessionId: "",
        status: "error",
        text: "",
        error,
        code: "server_stopped",
      });
      expect(after.replies).toEqual([
        { kind: "error", trace_id: "t-after", error, code: "server_stopped" },
      ]);
      expect(rt.server.isRunning()).toBe(false);
    } finally {
      llm.setRules([]);
    }
  });

  it("rejects bad options before anything starts, naming the field and hiding the key", () => {
    let caught: unknown;
    try {
      new OpenCodeRuntime({
        server: {
          home: home.path,
          litellm: { baseURL: "not a url", apiKey: KEY, modelIds: ["first-model"] },
        },
      });
    } catch (error) {
      caught = error;
    }
    expect(TaosOpenCodeError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toContain("baseURL");
    expect((caught as Error).message).not.toContain(KEY);
    expect(pidsWithHome(home.path)).toEqual([]);
  });

  it("reports a server that cannot start as one error reply, without the key", async () => {
    // A foreign listener holds the port the runtime is told to use.
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const rt = new OpenCodeRuntime({
        server: {
          home: home.path,
          port,
          litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["first-model"] },
        },
      });
      track(rt);
      const { sink, replies } = collect();
      const result = await rt.turn("hello", { traceId: "t-port", sink });
      expect(result).toMatchObject({ status: "error", code: "server_start_failed" });
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatchObject({
        kind: "error",
        trace_id: "t-port",
        code: "server_start_failed",
      });
      const message = (replies[0] as { error: string }).error;
      expect(message).toMatch(/^opencode server could not be started: /);
      expect(message).toContain(String(port));
      expect(JSON.stringify({ replies, result })).not.toContain(KEY);
      expect(pidsWithHome(home.path)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("refuses an opencode of an unsupported version with its code, and stops it", async () => {
    // opencode 2.x serves another API and is not a package here: a stand-in that serves
    // only the health answer, and says it is 2.0.0.
    const dir = join(home.path, "opencode-two");
    await mkdir(dir, { recursive: true });
    const binary = join(dir, "opencode");
    await writeFile(binary, OPENCODE_TWO);
    await chmod(binary, 0o755);
    const rt = new OpenCodeRuntime({
      server: {
        home: home.path,
        binary,
        litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["first-model"] },
      },
    });
    track(rt);
    const { sink, replies } = collect();
    const result = await rt.turn("hello", { traceId: "t-two", sink });
    expect(result).toMatchObject({ status: "error", code: "unsupported_opencode_version" });
    expect(replies).toEqual([
      {
        kind: "error",
        trace_id: "t-two",
        error: expect.stringContaining("opencode 2.0.0"),
        code: "unsupported_opencode_version",
      },
    ]);
    expect(rt.server.isRunning()).toBe(false);
    expect(pidsWithHome(home.path)).toEqual([]);
  });

  const OPENCODE_TWO = `#!/usr/bin/env node
const { createServer } = require("node:http");
const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const hostname = process.argv[process.argv.indexOf("--hostname") + 1];
const server = createServer((request, response) => {
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify({ healthy: true, version: "2.0.0" }));
});
server.listen(port, hostname, () => {
  console.log("opencode server listening on http://" + hostname + ":" + server.address().port);
});
`;
});
