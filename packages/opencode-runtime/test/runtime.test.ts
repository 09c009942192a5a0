import { describe, expect, it } from "vitest";
import { OpenCodeRuntime } from "../src/index.js";
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
    track(rt);
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
    track(rt);
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
});
