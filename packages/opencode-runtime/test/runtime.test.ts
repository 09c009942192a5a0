import { chmod, mkdir, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import {
  isProcessAlive,
  makeTempHome,
  scaled,
  type TempHome,
  waitForProcessExit,
} from "@taos/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenCodeRuntime, type Reply, TaosOpenCodeError } from "../src/index.js";
import { pidsWithHome } from "./processes.js";

const KEY = "sk-runtime-test-key-9c1d";

let llm: FakeLiteLLM;
let home: TempHome;
let runtime: OpenCodeRuntime | undefined;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY], models: ["first-model", "second-model"] });
  home = await makeTempHome("taos-runtime-");
});

afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

afterAll(async () => {
  await llm?.close();
  await home?.cleanup();
});

function newRuntime(): OpenCodeRuntime {
  runtime = new OpenCodeRuntime({
    server: {
      home: home.path,
      litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["first-model", "second-model"] },
    },
  });
  return runtime;
}

function collect(): { sink: (reply: Reply) => void; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

function turnRequests() {
  return llm.requests.filter((request) => !request.isTitleRequest);
}

describe("OpenCodeRuntime", () => {
  it("starts the server lazily, once for concurrent turns, with the first model by default", async () => {
    const messages: string[] = [];
    const record = (_fields: object, message?: string): void => void messages.push(message ?? "");
    const rt = new OpenCodeRuntime({
      server: {
        home: home.path,
        litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["first-model", "second-model"] },
        logger: { debug: record, info: record, warn: record, error: record },
      },
    });
    runtime = rt;
    expect(rt.server.isRunning()).toBe(false);
    expect(messages).not.toContain("opencode spawned");
    expect(pidsWithHome(home.path)).toEqual([]);
    const before = turnRequests().length;
    const a = collect();
    const b = collect();
    const [first, second] = await Promise.all([
      rt.turn("lazy one", { traceId: "t-a", sink: a.sink }),
      rt.turn("lazy two", { traceId: "t-b", sink: b.sink }),
    ]);
    expect(first).toMatchObject({ status: "completed", text: "lazy one" });
    expect(second).toMatchObject({ status: "completed", text: "lazy two" });
    expect(first.sessionId).not.toBe(second.sessionId);
    expect(new Set(a.replies.map((reply) => reply.trace_id))).toEqual(new Set(["t-a"]));
    expect(new Set(b.replies.map((reply) => reply.trace_id))).toEqual(new Set(["t-b"]));
    expect(rt.server.isRunning()).toBe(true);
    expect(messages.filter((message) => message === "opencode spawned")).toHaveLength(1);
    const models = turnRequests()
      .slice(before)
      .map((request) => request.model);
    expect(new Set(models)).toEqual(new Set(["first-model"]));
  });

  it("uses the model a turn asks for", async () => {
    const rt = newRuntime();
    const result = await rt.turn("model two", {
      traceId: "t-m",
      sink: () => undefined,
      modelId: "second-model",
    });
    expect(result.status).toBe("completed");
    expect(turnRequests().at(-1)?.model).toBe("second-model");
  });

  it("sends the runtime's turn defaults to opencode; a turn's own options win", async () => {
    const rt = new OpenCodeRuntime({
      server: {
        home: home.path,
        litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["first-model", "second-model"] },
      },
      turn: { system: "Default system marker 7d1.", agent: "plan", modelId: "second-model" },
    });
    runtime = rt;
    const systemOf = (): string =>
      JSON.stringify(
        turnRequests()
          .at(-1)
          ?.messages.filter((m) => m.role === "system"),
      );
    const first = await rt.turn("defaults only", { traceId: "t-d1", sink: () => undefined });
    expect(first.status).toBe("completed");
    expect(systemOf()).toContain("Default system marker 7d1.");
    expect(turnRequests().at(-1)?.model).toBe("second-model");
    expect(turnRequests().at(-1)?.lastUserText).toContain("Plan mode ACTIVE");
    const second = await rt.turn("own options", {
      traceId: "t-d2",
      sink: () => undefined,
      system: "Own system marker 3a9.",
      agent: "build",
      modelId: "first-model",
    });
    expect(second.status).toBe("completed");
    expect(systemOf()).toContain("Own system marker 3a9.");
    expect(systemOf()).not.toContain("Default system marker 7d1.");
    expect(turnRequests().at(-1)?.model).toBe("first-model");
    // opencode's plan agent adds its read-only reminder to the user's message.
    expect(turnRequests().at(-1)?.lastUserText).not.toContain("Plan mode ACTIVE");
  });

  it("runs a structured-output turn with tools switched off, per turn", async () => {
    llm.setRules([{ match: "weather as json", reply: { structured: { value: { celsius: 21 } } } }]);
    const rt = newRuntime();
    const { sink, replies } = collect();
    const schema = {
      type: "object",
      properties: { celsius: { type: "number" } },
      required: ["celsius"],
    };
    const result = await rt.turn("weather as json", {
      traceId: "t-s",
      sink,
      format: { type: "json_schema", schema },
      tools: { bash: false },
    });
    expect(result).toMatchObject({ status: "completed", structured: { celsius: 21 } });
    expect(replies.at(-1)).toMatchObject({ kind: "final", structured: { celsius: 21 } });
    const tools = turnRequests().at(-1)?.tools ?? [];
    expect(tools).toContain("StructuredOutput");
    expect(tools).not.toContain("bash");
  });

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
      runtime = rt;
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
    runtime = rt;
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
