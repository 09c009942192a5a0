import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import type { AskDecision, Reply } from "@taos/opencode-adapter";
import { OpenCodeServer } from "@taos/opencode-server";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  exportedText,
  installOtel,
  type OtelHarness,
  pointsOf,
  type ReadableSpan,
} from "../../internal/test/otel-support.js";
import { type DriveTurnOptions, driveTurn } from "../src/index.js";

const KEY = "sk-otel-turn-key-0123456789";
const MODEL = "fake-model";
const PROMPT_MARK = "nightingale";

let otel: OtelHarness;
let llm: FakeLiteLLM;
let home: TempHome;
let server: OpenCodeServer;

beforeAll(async () => {
  otel = installOtel();
  llm = await startFakeLiteLLM({
    keys: [KEY],
    models: [MODEL],
    rules: [
      { match: "greet", reply: { text: "Hello from the model.", chunks: 3 } },
      {
        match: "use the tool",
        reply: {
          toolCalls: [
            {
              name: "bash",
              arguments: { command: `echo ${PROMPT_MARK}-output`, description: "echo" },
            },
          ],
          then: { text: "The tool ran." },
        },
      },
      { match: "fail auth", reply: { error: { status: 401 } } },
    ],
  });
  home = await makeTempHome("taos-turn-otel-");
  server = new OpenCodeServer({
    home: home.path,
    litellm: { baseURL: llm.url, apiKey: KEY, modelIds: [MODEL] },
    permission: { bash: "ask" },
  });
  await server.ensureRunning();
});

afterEach(async () => {
  await otel.reset();
});

afterAll(async () => {
  await server?.stop();
  await llm?.close();
  await home?.cleanup();
  await otel?.shutdown();
});

function connection(): DriveTurnOptions {
  const { auth, baseUrl } = server;
  if (!auth || !baseUrl) throw new Error("the test server runs, with a password");
  return { baseUrl, modelId: MODEL, username: auth.username, password: auth.password };
}

const turnSpan = (): ReadableSpan => otel.onlySpan("invoke_agent opencode");

async function expectNothingSecret(): Promise<void> {
  const text = exportedText(otel.spans.getFinishedSpans(), (await otel.collect()).values());
  expect(text).toContain("invoke_agent opencode");
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(server.auth!.password);
  expect(text).not.toContain(PROMPT_MARK);
}

describe("driveTurn telemetry against the real opencode serve", () => {
  it("records a text turn: one CLIENT span with model, session, usage and metrics", async () => {
    const result = await driveTurn(`greet ${PROMPT_MARK}`, "trace-otel-1", () => undefined, {
      ...connection(),
    });
    expect(result.status).toBe("completed");
    const span = turnSpan();
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "opencode",
      "gen_ai.provider.name": "litellm",
      "gen_ai.request.model": MODEL,
      "gen_ai.conversation.id": result.sessionId,
      "taos.trace_id": "trace-otel-1",
      "taos.turn.outcome": "completed",
      "server.port": server.port,
    });
    expect(span.attributes["gen_ai.usage.input_tokens"]).toBe(result.usage?.inputTokens);
    expect(span.attributes["gen_ai.usage.output_tokens"]).toBe(result.usage?.outputTokens);
    expect(span.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    expect(typeof span.attributes["taos.usage.cost"]).toBe("number");

    const metrics = await otel.collect();
    const duration = pointsOf<Histogram>(metrics.get("gen_ai.client.operation.duration"));
    expect(duration.map((point) => point.value.count)).toEqual([1]);
    const output = pointsOf<Histogram>(metrics.get("gen_ai.client.token.usage"), {
      "gen_ai.token.type": "output",
    });
    expect(output[0]?.value.sum).toBe(result.usage?.outputTokens);
    const turns = pointsOf<number>(metrics.get("taos.opencode.turns"), {
      "taos.turn.outcome": "completed",
    });
    expect(turns.map((point) => point.value)).toEqual([1]);
    await expectNothingSecret();
  });

  it("records a tool turn: the permission decision and the tool call as events", async () => {
    const decisions: AskDecision[] = [];
    const result = await driveTurn("use the tool", "trace-otel-2", () => undefined, {
      ...connection(),
      permission: "once",
      onDecision: (decision) => void decisions.push(decision),
    });
    expect(result.status).toBe("completed");
    // The caller's own onDecision still hears every answer.
    expect(decisions.map((decision) => decision.kind)).toEqual(["permission"]);
    const events = turnSpan().events;
    const permission = events.filter((event) => event.name === "taos.permission_decision");
    expect(permission.map((event) => event.attributes)).toEqual([
      expect.objectContaining({ "taos.ask.permission": "bash", "taos.ask.reply": "once" }),
    ]);
    const tools = events.filter((event) => event.name === "taos.tool_call");
    expect(tools).toHaveLength(1);
    expect(tools[0]?.attributes).toMatchObject({
      "gen_ai.tool.name": "bash",
      "taos.tool.status": "completed",
    });
    expect(tools[0]?.attributes?.["taos.tool.duration_ms"]).toBeGreaterThanOrEqual(0);
    expect(String(tools[0]?.attributes?.["gen_ai.tool.call.id"])).not.toBe("");
    await expectNothingSecret();
  });

  it("records an upstream 401 as an error with its code, never the message", async () => {
    const replies: Reply[] = [];
    const result = await driveTurn(
      `fail auth ${PROMPT_MARK}`,
      "trace-otel-3",
      (reply) => void replies.push(reply),
      connection(),
    );
    expect(result.status).toBe("error");
    const error = replies.find((reply) => reply.kind === "error");
    expect(error).toMatchObject({ code: "upstream_unauthorized", opencode_error: "APIError" });
    const span = turnSpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "upstream_unauthorized" });
    expect(span.attributes).toMatchObject({
      "taos.turn.outcome": "error",
      "error.type": "upstream_unauthorized",
      "taos.opencode.error": "APIError",
    });
    const metrics = await otel.collect();
    expect(
      pointsOf(metrics.get("taos.opencode.turns"), {
        "taos.turn.outcome": "error",
        "error.type": "upstream_unauthorized",
      }),
    ).toHaveLength(1);
    const text = exportedText(otel.spans.getFinishedSpans(), metrics.values());
    expect(text).not.toMatch(/Authentication Error/);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(PROMPT_MARK);
  });
});
