import { execFileSync } from "node:child_process";
import { buildOpenCodeConfig } from "@taos/opencode-config";
import { type OpenCodeInTempHome, scaled, startOpenCodeInTempHome } from "@taos/testkit";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_DEMO_COMMAND, type FakeLiteLLM, startFakeLiteLLM } from "../src/index.js";
import {
  type Message,
  type MessageInfo,
  type OpenCodeCall,
  openCodeCaller,
} from "./opencode-api.js";

const KEY = "sk-agent-scripts";
const MODEL = { providerID: "litellm", modelID: "fake-model" };
const SMALL = { providerID: "litellm", modelID: "small-model" };
const SCHEMA = {
  type: "object",
  properties: {
    city: { type: "string" },
    population: { type: "integer", minimum: 1 },
    districts: {
      type: "array",
      items: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
    },
    capital: { type: "boolean" },
    kind: { enum: ["town", "city"] },
  },
  required: ["city", "population", "districts"],
  additionalProperties: false,
};
const ajv = new Ajv2020({ strict: false, validateFormats: false, logger: false });

let llm: FakeLiteLLM;
let opencode: OpenCodeInTempHome;

beforeAll(async () => {
  llm = await startFakeLiteLLM({
    keys: [KEY],
    defaultScript: "agent",
    rules: [
      { match: "bad json", reply: { structured: { invalid: true } } },
      { match: "no json", reply: { structured: { skip: true } } },
      {
        match: (r) => r.model === "small-model" && r.lastUserText === "fill the context",
        reply: { text: "A long story.", usage: { prompt_tokens: 50_000 } },
      },
      // The estimate (4 characters a token of the whole body, 11 tools included) would
      // overflow a 2 000-token model on every request: report a small prompt instead.
      {
        match: (r) => r.model === "small-model" && !r.isTitleRequest,
        reply: { text: "Noted.", usage: { prompt_tokens: 100 } },
      },
    ],
  });
  const config = buildOpenCodeConfig({
    baseURL: llm.url,
    apiKey: KEY,
    modelIds: ["fake-model", "small-model"],
    permission: { bash: "allow" },
  });
  const provider = config.provider.litellm;
  opencode = await startOpenCodeInTempHome({
    homePrefix: "taos-fake-litellm-scripts-",
    config: {
      ...config,
      provider: {
        litellm: {
          ...provider,
          models: { ...provider?.models, "small-model": { limit: { context: 2000, output: 500 } } },
        },
      },
    },
  });
});

afterAll(async () => {
  await opencode?.stop();
  await llm?.close();
});

const call: OpenCodeCall = openCodeCaller(() => opencode);

/** Sends a structured-output prompt with prompt_async and waits for the finished assistant message. */
async function structuredTurn(text: string): Promise<MessageInfo> {
  const session = await call<{ id: string }>("POST", "/session", {});
  await call("POST", `/session/${session.id}/prompt_async`, {
    model: MODEL,
    parts: [{ type: "text", text }],
    format: { type: "json_schema", schema: SCHEMA },
  });
  let info: MessageInfo | undefined;
  await vi.waitFor(
    async () => {
      const status = await call<Record<string, { type: string }>>("GET", "/session/status");
      expect(status[session.id]?.type ?? "idle").toBe("idle");
      // Listing a structured-output session's messages fails upstream unless limit=1.
      const [last] = await call<Message[]>("GET", `/session/${session.id}/message?limit=1`);
      expect(last?.info.role).toBe("assistant");
      expect(last?.info.time?.completed ?? last?.info.error).toBeDefined();
      info = last?.info;
    },
    { timeout: scaled(30_000), interval: 100 },
  );
  if (info === undefined) throw new Error("no assistant message");
  return info;
}

describe("opencode serve against the stand-in's scripts", () => {
  it("structured output: the generated object fits the schema and lands on the message", async () => {
    const info = await structuredTurn("describe a city");
    expect(info.error).toBeUndefined();
    expect(ajv.validate(SCHEMA, info.structured), ajv.errorsText()).toBe(true);
    const request = llm.requests.find(
      (r) => r.lastUserText === "describe a city" && !r.isTitleRequest,
    );
    expect(request?.structuredSchema).toMatchObject({ required: SCHEMA.required });
    expect(request?.body).toMatchObject({ tool_choice: "required" });
  });

  it("structured output: on cue the object does not fit, and opencode stores it as is", async () => {
    const info = await structuredTurn("bad json please");
    expect(info.error).toBeUndefined();
    expect(info.structured).toBeDefined();
    expect(ajv.validate(SCHEMA, info.structured)).toBe(false);
  });

  it("structured output: on cue no tool call, and opencode reports StructuredOutputError", async () => {
    const info = await structuredTurn("no json at all");
    expect(info.structured).toBeUndefined();
    expect(info.error?.name).toBe("StructuredOutputError");
  });

  it("agent demo: reasoning, one bash call, and an answer quoting its output", async () => {
    const session = await call<{ id: string }>("POST", "/session", {});
    const reply = await call<Message>("POST", `/session/${session.id}/message`, {
      model: MODEL,
      parts: [{ type: "text", text: "Say hello" }],
    });
    expect(reply.info.error).toBeUndefined();
    const messages = await call<Message[]>("GET", `/session/${session.id}/message`);
    const parts = messages.flatMap((m) => m.parts);
    expect(parts.filter((p) => p.type === "reasoning").length).toBeGreaterThanOrEqual(1);
    const tools = parts.filter((p) => p.type === "tool");
    expect(tools).toHaveLength(1);
    expect(tools[0]?.tool).toBe("bash");
    expect(tools[0]?.state?.input).toMatchObject({ command: AGENT_DEMO_COMMAND });
    const [program, ...args] = AGENT_DEMO_COMMAND.split(" ");
    const expected = execFileSync(program ?? "", args, { encoding: "utf8" }).trim();
    expect(tools[0]?.state?.output?.trim()).toBe(expected);
    const answer = reply.parts
      .filter((p) => p.type === "text")
      .map((p) => p.text)
      .join("");
    expect(answer).toContain(`printed "${expected}"`);
    expect(answer).toContain('You wrote: "Say hello"');
  });

  it("usage override: a reported prompt of 50 000 tokens makes opencode compact a 2 000-token model", async () => {
    const session = await call<{ id: string }>("POST", "/session", {});
    await call("POST", `/session/${session.id}/prompt_async`, {
      model: SMALL,
      parts: [{ type: "text", text: "fill the context" }],
    });
    await vi.waitFor(
      async () => {
        const status = await call<Record<string, { type: string }>>("GET", "/session/status");
        expect(status[session.id]?.type ?? "idle").toBe("idle");
        const messages = await call<Message[]>("GET", `/session/${session.id}/message`);
        const infos = messages.map((m) => m.info);
        const compaction = infos.find((i) => i.summary === true && i.mode === "compaction");
        expect(compaction, JSON.stringify(infos)).toBeDefined();
        expect(infos.at(-1)?.time?.completed).toBeDefined();
      },
      { timeout: scaled(30_000), interval: 200 },
    );
    const turns = llm.requests.filter((r) => r.model === "small-model" && !r.isTitleRequest);
    // The turn, the summary request (no tools), then opencode's own continuation.
    expect(turns.length).toBeGreaterThanOrEqual(3);
    expect(turns.some((r) => r.tools.length === 0)).toBe(true);
  });
});
