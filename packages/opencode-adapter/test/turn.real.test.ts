/**
 * What a user sees of a turn, against the real `opencode serve` and the LiteLLM
 * stand-in: distinct parts kept apart, a policy that never answers, a failing upstream,
 * per-prompt settings and structured output.
 */
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { type OpenCodeInTempHome, scaled, startOpenCodeInTempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TurnStatusUpdate } from "../src/index.js";
import { collectingSink, TestAdapters } from "./support.js";

const KEY = "sk-turn-real-test-5b1e";
const SCHEMA = {
  type: "object",
  properties: { answer: { type: "string" } },
  required: ["answer"],
  additionalProperties: false,
};

let llm: FakeLiteLLM;
let opencode: OpenCodeInTempHome;
const adapters = new TestAdapters(() => ({
  baseUrl: opencode.url,
  modelId: "fake-model",
  permission: "once",
}));
const adapter = adapters.make;

beforeAll(async () => {
  llm = await startFakeLiteLLM({
    keys: [KEY],
    rules: [
      {
        match: "[text-tool-text]",
        reply: {
          text: "Let me update the README with the new command syntax:",
          toolCalls: [{ name: "bash", arguments: { command: "echo hi", description: "Print hi" } }],
          then: { text: "README updated.", chunks: 3 },
        },
      },
      {
        match: "[ask-hangs]",
        reply: {
          toolCalls: [{ name: "bash", arguments: { command: "echo hi", description: "Print hi" } }],
          then: { text: "Went on without it." },
        },
      },
      {
        match: "[upstream-down]",
        reply: { error: { status: 503, headers: { "retry-after-ms": "20" } } },
      },
      { match: "[options]", reply: { text: "Options seen." } },
      {
        match: "[structured-ok]",
        reply: { toolCalls: [{ name: "StructuredOutput", arguments: { answer: "forty-two" } }] },
      },
      {
        match: "[structured-bad]",
        reply: { toolCalls: [{ name: "StructuredOutput", arguments: { wrong: 1 } }] },
      },
    ],
  });
  opencode = await startOpenCodeInTempHome({
    homePrefix: "taos-adapter-turn-",
    config: buildOpenCodeConfig({
      baseURL: llm.url,
      apiKey: KEY,
      modelIds: ["fake-model"],
      permission: { bash: "ask" },
    }),
  });
});

afterAll(async () => {
  await adapters.closeAll();
  await opencode?.stop();
  await llm?.close();
});

describe("a turn against the real server", () => {
  it(
    "text, a tool call, more text: the parts are kept apart by a blank line, deltas and final alike",
    async () => {
      const out = collectingSink();
      const result = await adapter(out.sink).prompt("[text-tool-text] update the readme");
      expect(result.status).toBe("completed");
      const expected = "Let me update the README with the new command syntax:\n\nREADME updated.";
      expect(result.text).toBe(expected);
      expect(out.deltaText()).toBe(expected);
      expect(out.of("final")[0]?.content).toBe(expected);
    },
    scaled(60_000),
  );

  it(
    "a permission policy that never answers is rejected after askTimeoutMs, and the turn goes on",
    async () => {
      const out = collectingSink();
      const result = await adapter(out.sink, {
        permission: () => new Promise(() => undefined),
        askTimeoutMs: 300,
      }).prompt("[ask-hangs] run it");
      expect(result.status).toBe("completed");
      expect(result.text).toBe("Went on without it.");
      expect(result.decisions).toMatchObject([
        { kind: "permission", permission: "bash", reply: "reject", timedOut: true },
      ]);
    },
    scaled(60_000),
  );

  it(
    "past maxRetries an unavailable upstream ends the turn with one upstream_unavailable error; onStatus saw the retries",
    async () => {
      const out = collectingSink();
      const statuses: TurnStatusUpdate[] = [];
      const result = await adapter(out.sink).prompt("[upstream-down] hello", {
        maxRetries: 1,
        onStatus: (update) => statuses.push(update),
      });
      expect(result.status).toBe("error");
      expect(result.code).toBe("upstream_unavailable");
      const errors = out.of("error");
      expect(errors).toHaveLength(1);
      expect(errors[0]?.code).toBe("upstream_unavailable");
      const retries = statuses.filter((update) => update.type === "retry");
      expect(retries.map((update) => update.attempt)).toEqual([1, 2]);
      const last = retries.at(-1);
      expect(last?.type === "retry" ? last.message : "").not.toBe("");
      expect(errors[0]?.error).toContain(last?.type === "retry" ? last.message : "?");
      expect(errors[0]?.error).toMatch(/^the model call still failed after 1 retries: /);
      expect(statuses[0]).toEqual({ type: "busy" });
      expect(out.of("final")).toHaveLength(0);
    },
    scaled(60_000),
  );

  it(
    "per-prompt system, tools and agent reach opencode and win over the config's",
    async () => {
      const out = collectingSink();
      const a = adapter(out.sink, { system: "CONFIG-SYSTEM-MARKER" });
      const result = await a.prompt("[options] go", {
        system: "PROMPT-SYSTEM-MARKER",
        tools: { bash: false },
        agent: "build",
      });
      expect(result.status).toBe("completed");
      const request = [...llm.requests].reverse().find((r) => !r.isTitleRequest);
      const body = JSON.stringify(request?.body);
      expect(body).toContain("PROMPT-SYSTEM-MARKER");
      expect(body).not.toContain("CONFIG-SYSTEM-MARKER");
      const sent = request?.body as { tools?: { function?: { name?: string } }[] } | undefined;
      const tools = sent?.tools ?? [];
      expect(tools.map((tool) => tool.function?.name)).not.toContain("bash");
      expect(tools.map((tool) => tool.function?.name)).toContain("read");
    },
    scaled(60_000),
  );
});

describe("turns on one session", () => {
  it(
    "prompts sent together on one session, by several adapters, each get their own answer, in order",
    async () => {
      const first = await adapter(() => undefined).prompt("[options] open the session");
      expect(first.status).toBe("completed");
      const sessionId = first.sessionId;
      // opencode answers only the latest of prompts that reach a session together: the
      // earlier ones would end with no answer of their own.
      const results = await Promise.all(
        [0, 1, 2].map((i) => adapter(() => undefined, { sessionId }).prompt(`together ${i}`)),
      );
      expect(results.map((result) => `${result.status} ${result.text}`)).toEqual([
        "completed together 0",
        "completed together 1",
        "completed together 2",
      ]);
    },
    scaled(90_000),
  );
});

describe("structured output", () => {
  const format = { type: "json_schema", schema: SCHEMA } as const;

  it(
    "the final and the result carry the object when it matches the schema",
    async () => {
      const out = collectingSink();
      const result = await adapter(out.sink).prompt("[structured-ok] answer", { format });
      expect(result.status).toBe("completed");
      expect(result.structured).toEqual({ answer: "forty-two" });
      expect(out.of("final")[0]?.structured).toEqual({ answer: "forty-two" });
    },
    scaled(60_000),
  );

  it(
    "an object that fails the schema is one structured_output_invalid error, the object attached",
    async () => {
      const out = collectingSink();
      const result = await adapter(out.sink).prompt("[structured-bad] answer", { format });
      expect(result.status).toBe("error");
      expect(result.code).toBe("structured_output_invalid");
      expect(out.of("error")).toEqual([
        expect.objectContaining({ code: "structured_output_invalid", structured: { wrong: 1 } }),
      ]);
      expect(out.of("final")).toHaveLength(0);
    },
    scaled(60_000),
  );
});
