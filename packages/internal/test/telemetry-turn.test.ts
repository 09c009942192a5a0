import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import { MetricName, startTurnSpan, type TelemetryReply, TurnSpan } from "../src/index.js";
import { exportedText, type OtelHarness, pointsOf, useOtelPerFile } from "./otel-support.js";

const TURN = {
  traceId: "taos-trace-1",
  modelId: "gpt-test",
  providerId: "litellm",
  baseUrl: "http://127.0.0.1:4123",
};

const USAGE = {
  input_tokens: 120,
  output_tokens: 30,
  reasoning_tokens: 5,
  cache_read_tokens: 7,
  cache_write_tokens: 0,
  cost: 0.25,
};

const otel: OtelHarness = useOtelPerFile();

describe("turn span", () => {
  it("records a completed text turn with the GenAI attributes, usage and metrics", async () => {
    const turn = startTurnSpan({ ...TURN, sessionId: "ses_1" });
    turn.onReply({ kind: "delta", content: "Hello" } as TelemetryReply);
    turn.onReply({ kind: "final", usage: USAGE });
    turn.end({ status: "completed", sessionId: "ses_1" });

    const span = otel.onlySpan();
    expect(span.name).toBe("invoke_agent opencode");
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "opencode",
      "gen_ai.provider.name": "litellm",
      "gen_ai.request.model": "gpt-test",
      "gen_ai.conversation.id": "ses_1",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
      "gen_ai.usage.cache_read.input_tokens": 7,
      "taos.usage.reasoning_tokens": 5,
      "taos.usage.cost": 0.25,
      "taos.trace_id": "taos-trace-1",
      "taos.turn.outcome": "completed",
      "server.address": "127.0.0.1",
      "server.port": 4123,
    });
    expect(span.attributes["error.type"]).toBeUndefined();

    const metrics = await otel.collect();
    const duration = pointsOf<Histogram>(metrics.get(MetricName.TurnDuration));
    expect(duration).toHaveLength(1);
    expect(duration[0]!.value.count).toBe(1);
    expect(metrics.get(MetricName.TurnDuration)!.descriptor.unit).toBe("s");
    const tokens = metrics.get(MetricName.TokenUsage);
    expect(pointsOf<Histogram>(tokens, { "gen_ai.token.type": "input" })[0]!.value.sum).toBe(120);
    expect(pointsOf<Histogram>(tokens, { "gen_ai.token.type": "output" })[0]!.value.sum).toBe(30);
    const turns = pointsOf<number>(metrics.get(MetricName.Turns), {
      "taos.turn.outcome": "completed",
      "gen_ai.request.model": "gpt-test",
    });
    expect(turns.map((point) => point.value)).toEqual([1]);
  });

  it("prefers the result's usage and learns the session id late", () => {
    const turn = startTurnSpan({ ...TURN, agent: "plan" });
    turn.setSessionId("ses_new");
    turn.onReply({ kind: "final", usage: USAGE });
    turn.end({ status: "completed", usage: { inputTokens: 9, outputTokens: 4 } });
    const span = otel.onlySpan();
    expect(span.attributes["gen_ai.conversation.id"]).toBe("ses_new");
    expect(span.attributes["taos.opencode.agent"]).toBe("plan");
    expect(span.attributes["gen_ai.usage.input_tokens"]).toBe(9);
    expect(span.attributes["gen_ai.usage.output_tokens"]).toBe(4);
  });

  it("adds one event per tool call with its name, status and duration", () => {
    const turn = startTurnSpan(TURN);
    turn.onReply({ kind: "tool_call", tool: "bash", call_id: "c1" });
    turn.onReply({ kind: "tool_result", tool: "bash", call_id: "c1", success: true });
    turn.onReply({ kind: "tool_call", tool: "read", call_id: "c2" });
    turn.onReply({ kind: "tool_result", tool: "read", call_id: "c2", success: false });
    turn.onReply({ kind: "tool_call", tool: "edit", call_id: "c3" });
    turn.end({ status: "completed" });

    const events = otel.onlySpan().events;
    expect(events.map((event) => event.name)).toEqual([
      TurnSpan.ToolEvent,
      TurnSpan.ToolEvent,
      TurnSpan.ToolEvent,
    ]);
    expect(events.map((event) => event.attributes)).toEqual([
      expect.objectContaining({
        "gen_ai.tool.name": "bash",
        "gen_ai.tool.call.id": "c1",
        "taos.tool.status": "completed",
      }),
      expect.objectContaining({ "gen_ai.tool.name": "read", "taos.tool.status": "error" }),
      expect.objectContaining({ "gen_ai.tool.name": "edit", "taos.tool.status": "unfinished" }),
    ]);
    for (const event of events) {
      expect(event.attributes?.["taos.tool.duration_ms"]).toBeGreaterThanOrEqual(0);
    }
  });

  it("adds one event per permission or question decision, live or from the result", () => {
    const turn = startTurnSpan(TURN);
    const permission = {
      kind: "permission",
      requestId: "per_1",
      permission: "bash",
      reply: "reject",
    } as const;
    turn.onDecision(permission);
    turn.end({
      status: "completed",
      decisions: [permission, { kind: "question", requestId: "que_1", reply: "answer" }],
    });
    const events = otel.onlySpan().events;
    expect(events.map((event) => [event.name, event.attributes])).toEqual([
      [
        TurnSpan.PermissionEvent,
        {
          "taos.ask.request_id": "per_1",
          "taos.ask.reply": "reject",
          "taos.ask.permission": "bash",
        },
      ],
      [TurnSpan.QuestionEvent, { "taos.ask.request_id": "que_1", "taos.ask.reply": "answer" }],
    ]);
  });

  it("marks a failed turn with its code as error.type and an error status", async () => {
    const turn = startTurnSpan(TURN);
    turn.onReply({ kind: "error", code: "upstream_unauthorized", opencode_error: "APIError" });
    turn.end({ status: "error" });
    const span = otel.onlySpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "upstream_unauthorized" });
    expect(span.attributes).toMatchObject({
      "taos.turn.outcome": "error",
      "error.type": "upstream_unauthorized",
      "taos.opencode.error": "APIError",
    });
    expect(span.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    const metrics = await otel.collect();
    const failed = { "error.type": "upstream_unauthorized" };
    expect(pointsOf(metrics.get(MetricName.Turns), failed)).toHaveLength(1);
    expect(pointsOf<Histogram>(metrics.get(MetricName.TurnDuration), failed)).toHaveLength(1);
    expect(metrics.get(MetricName.TokenUsage)).toBeUndefined();
  });

  it("records an aborted turn as aborted without an error status", () => {
    const turn = startTurnSpan(TURN);
    turn.onReply({ kind: "error", code: "aborted", opencode_error: "MessageAbortedError" });
    turn.end({ status: "aborted" });
    const span = otel.onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      "taos.turn.outcome": "aborted",
      "error.type": "aborted",
      "taos.opencode.error": "MessageAbortedError",
    });
  });

  it("ends once: a second end and later replies change nothing", async () => {
    const turn = startTurnSpan(TURN);
    turn.end({ status: "completed" });
    turn.onReply({ kind: "error", code: "late" });
    turn.end({ status: "error" });
    expect(otel.onlySpan().attributes["taos.turn.outcome"]).toBe("completed");
    const metrics = await otel.collect();
    expect(pointsOf<number>(metrics.get(MetricName.Turns)).map((p) => p.value)).toEqual([1]);
  });

  it("is a child of the caller's active span, and parents spans started within it", () => {
    const tracer = trace.getTracer("test");
    const parent = tracer.startSpan("caller");
    const turn = context.with(trace.setSpan(context.active(), parent), () => startTurnSpan(TURN));
    turn.within(() => tracer.startSpan("inner").end());
    turn.end({ status: "completed" });
    parent.end();
    const spans = otel.spans.getFinishedSpans();
    const byName = new Map(spans.map((span) => [span.name, span]));
    const turnSpan = byName.get(TurnSpan.Name)!;
    expect(turnSpan.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(turnSpan.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(byName.get("inner")!.parentSpanContext?.spanId).toBe(turnSpan.spanContext().spanId);
  });

  it("puts no key, password or prompt text anywhere in the exported data", async () => {
    const secret = "sk-live-SECRET-0123456789";
    const prompt = "my confidential prompt about project nightingale";
    const turn = startTurnSpan({ ...TURN, baseUrl: `http://opencode:${secret}@127.0.0.1:4123` });
    const replies = [
      { kind: "delta", content: prompt },
      { kind: "reasoning", content: prompt },
      { kind: "tool_call", tool: "bash", call_id: "c1", args: { command: `echo ${secret}` } },
      { kind: "tool_result", tool: "bash", call_id: "c1", success: true, result: secret },
      {
        kind: "error",
        error: `401 Invalid key ${secret} for ${prompt}`,
        code: `bad ${secret}`,
        opencode_error: `Error: ${prompt}`,
      },
    ];
    for (const reply of replies) turn.onReply(reply as TelemetryReply);
    turn.end({ status: "error" });
    const text = exportedText(otel.spans.getFinishedSpans(), (await otel.collect()).values());
    expect(text).toContain("invoke_agent opencode");
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("nightingale");
    expect(otel.onlySpan().attributes["error.type"]).toBe("_OTHER");
  });
});
