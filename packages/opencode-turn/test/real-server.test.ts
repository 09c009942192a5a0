import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import type { Reply } from "@taos/opencode-adapter";
import { OpenCodeServer } from "@taos/opencode-server";
import { makeTempHome, scaled, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DriveTurnOptions, driveTurn } from "../src/index.js";

const KEY = "sk-turn-test-key-1";
const MODEL = "fake-model";

let llm: FakeLiteLLM;
let home: TempHome;
let server: OpenCodeServer;

beforeAll(async () => {
  llm = await startFakeLiteLLM({ keys: [KEY], models: [MODEL] });
  home = await makeTempHome("taos-turn-");
  server = new OpenCodeServer({
    home: home.path,
    litellm: { baseURL: llm.url, apiKey: KEY, modelIds: [MODEL] },
  });
  await server.ensureRunning();
});

afterAll(async () => {
  await server?.stop();
  await llm?.close();
  await home?.cleanup();
});

function connection(): DriveTurnOptions {
  const { auth, baseUrl } = server;
  if (!auth || !baseUrl) throw new Error("the test server runs, with a password");
  return {
    baseUrl,
    modelId: MODEL,
    username: auth.username,
    password: auth.password,
  };
}

function collect(): { sink: (reply: Reply) => void; replies: Reply[] } {
  const replies: Reply[] = [];
  return { sink: (reply) => void replies.push(reply), replies };
}

/** The model requests of real turns (opencode also asks for a title on a session's first prompt). */
function turnRequests() {
  return llm.requests.filter((request) => !request.isTitleRequest);
}

describe("driveTurn against the real opencode serve", () => {
  it("streams a text turn to the sink and returns the session id", async () => {
    llm.setRules([{ match: "greet me", reply: { text: "Hello from the model.", chunks: 4 } }]);
    const { sink, replies } = collect();
    const result = await driveTurn("greet me", "trace-1", sink, connection());
    expect(result).toMatchObject({ status: "completed", text: "Hello from the model." });
    expect(result.sessionId).toMatch(/^ses_/);
    expect(new Set(replies.map((reply) => reply.trace_id))).toEqual(new Set(["trace-1"]));
    const deltas = replies.filter((reply) => reply.kind === "delta");
    expect(deltas.map((reply) => reply.content).join("")).toBe("Hello from the model.");
    expect(replies.at(-1)).toMatchObject({ kind: "final", content: "Hello from the model." });
    expect(replies.filter((reply) => reply.kind === "final")).toHaveLength(1);
  });

  it("continues a conversation: the second turn's model call carries the first exchange", async () => {
    llm.setRules([
      { match: "my name is Ada", reply: { text: "Nice to meet you, Ada." } },
      { match: "what is my name", reply: { text: "Your name is Ada." } },
    ]);
    const first = await driveTurn("my name is Ada", "trace-a", () => undefined, connection());
    expect(first.status).toBe("completed");
    const before = turnRequests().length;
    const { sink, replies } = collect();
    const second = await driveTurn("what is my name", "trace-b", sink, {
      ...connection(),
      sessionId: first.sessionId,
    });
    expect(second).toMatchObject({ status: "completed", sessionId: first.sessionId });
    expect(replies.at(-1)).toMatchObject({ kind: "final", content: "Your name is Ada." });
    const request = turnRequests().slice(before).at(-1);
    const transcript = JSON.stringify(request?.messages ?? []);
    expect(transcript).toContain("my name is Ada");
    expect(transcript).toContain("Nice to meet you, Ada.");
    expect(request?.lastUserText).toBe("what is my name");
  });

  it("passes the adapter's per-prompt options on: a system prompt and structured output", async () => {
    llm.setRules([{ match: "point as json", reply: { structured: { value: { x: 1, y: 2 } } } }]);
    const { sink, replies } = collect();
    const result = await driveTurn("point as json", "trace-opts", sink, {
      ...connection(),
      system: "Turn system marker 9b2.",
      format: {
        type: "json_schema",
        schema: { type: "object", properties: { x: { type: "number" }, y: { type: "number" } } },
      },
    });
    expect(result).toMatchObject({ status: "completed", structured: { x: 1, y: 2 } });
    expect(replies.at(-1)).toMatchObject({ kind: "final", structured: { x: 1, y: 2 } });
    const request = turnRequests().at(-1);
    expect(JSON.stringify(request?.messages)).toContain("Turn system marker 9b2.");
    expect(request?.tools).toContain("StructuredOutput");
  });

  it("passes an upstream 401 through as exactly one error, without the key", async () => {
    llm.setRules([{ match: "fail auth", reply: { error: { status: 401 } } }]);
    const { sink, replies } = collect();
    const result = await driveTurn("fail auth", "trace-401", sink, connection());
    expect(result.status).toBe("error");
    const errors = replies.filter((reply) => reply.kind === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "upstream_unauthorized", opencode_error: "APIError" });
    expect(errors[0]?.error).toMatch(/Authentication Error/);
    expect(replies.some((reply) => reply.kind === "final")).toBe(false);
    expect(JSON.stringify({ replies, result })).not.toContain(KEY);
  });

  it("reports a session that does not exist as one error naming it", async () => {
    const { sink, replies } = collect();
    const result = await driveTurn("hello", "trace-gone", sink, {
      ...connection(),
      sessionId: "ses_doesnotexist000000000000",
    });
    expect(result).toMatchObject({ status: "error", sessionId: "" });
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({
      kind: "error",
      trace_id: "trace-gone",
      code: "session_not_found",
    });
    expect((replies[0] as { error: string }).error).toContain(
      "opencode session ses_doesnotexist000000000000 could not be resumed",
    );
  });

  it("reports a wrong password as one error and never shows it", async () => {
    const { sink, replies } = collect();
    const result = await driveTurn("hello", "trace-pw", sink, {
      ...connection(),
      password: "wrong-password-xyz",
    });
    expect(result.status).toBe("error");
    expect(replies).toEqual([
      { kind: "error", trace_id: "trace-pw", error: expect.any(String), code: "unauthorized" },
    ]);
    expect(JSON.stringify({ replies, result })).not.toContain("wrong-password-xyz");
  });

  it("ends aborted when the signal fires mid-turn", async () => {
    llm.setRules([{ match: "stall please", reply: { stall: { ms: 60_000 } } }]);
    const controller = new AbortController();
    const { sink, replies } = collect();
    const seen = turnRequests().length;
    const pending = driveTurn("stall please", "trace-abort", sink, {
      ...connection(),
      signal: controller.signal,
    });
    await expect.poll(() => turnRequests().length > seen, { timeout: scaled(30_000) }).toBe(true);
    controller.abort();
    const result = await pending;
    expect(result.status).toBe("aborted");
    const errors = replies.filter((reply) => reply.kind === "error");
    expect(errors).toEqual([expect.objectContaining({ code: "aborted" })]);
    expect(replies.some((reply) => reply.kind === "final")).toBe(false);
  });
});
