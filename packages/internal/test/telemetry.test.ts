import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  errorTypeOf,
  isErrorType,
  MetricName,
  otelApiLoaderFrom,
  poolGauges,
  recordServerExit,
  setOtelApiLoader,
  startServerSpan,
  startTurnSpan,
  type TelemetryReply,
  TurnSpan,
  turnOutcome,
} from "../src/index.js";
import { exportedText, installOtel, type OtelHarness, pointsOf } from "./otel-support.js";

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

const require = createRequire(import.meta.url);

const ABSENT_DRIVER = `
import { otelApi, poolGauges, recordServerExit, startServerSpan, startTurnSpan } from "./src/index.ts";
const turn = startTurnSpan({ traceId: "t", modelId: "m", providerId: "p" });
turn.onReply({ kind: "tool_call", tool: "bash", call_id: "c1" });
const within = turn.within(() => 7);
turn.end({ status: "completed" });
startServerSpan("start").ready({ binary: "/bin/opencode", port: 1 });
recordServerExit({ exitCode: 1 });
poolGauges(() => ({ servers: 1, queued: 0 })).stop();
process.stdout.write(JSON.stringify({ api: otelApi() !== undefined, within, ran: true }));
`;

let otel: OtelHarness;

beforeAll(() => {
  otel = installOtel();
});
afterEach(async () => {
  setOtelApiLoader();
  await otel.reset();
});
afterAll(async () => {
  await otel.shutdown();
});

function onlySpan() {
  const spans = otel.spans.getFinishedSpans();
  expect(spans).toHaveLength(1);
  return spans[0]!;
}

describe("turn span", () => {
  it("records a completed text turn with the GenAI attributes, usage and metrics", async () => {
    const turn = startTurnSpan({ ...TURN, sessionId: "ses_1" });
    turn.onReply({ kind: "delta", content: "Hello" } as TelemetryReply);
    turn.onReply({ kind: "final", usage: USAGE });
    turn.end({ status: "completed", sessionId: "ses_1" });

    const span = onlySpan();
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
    const turn = startTurnSpan(TURN);
    turn.setSessionId("ses_new");
    turn.onReply({ kind: "final", usage: USAGE });
    turn.end({ status: "completed", usage: { inputTokens: 9, outputTokens: 4 } });
    const span = onlySpan();
    expect(span.attributes["gen_ai.conversation.id"]).toBe("ses_new");
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

    const events = onlySpan().events;
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
    const events = onlySpan().events;
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
    turn.onReply({ kind: "error", code: "APIError" });
    turn.end({ status: "error" });
    const span = onlySpan();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "APIError" });
    expect(span.attributes).toMatchObject({
      "taos.turn.outcome": "error",
      "error.type": "APIError",
    });
    expect(span.attributes["gen_ai.usage.input_tokens"]).toBeUndefined();
    const metrics = await otel.collect();
    expect(pointsOf(metrics.get(MetricName.Turns), { "error.type": "APIError" })).toHaveLength(1);
    expect(
      pointsOf<Histogram>(metrics.get(MetricName.TurnDuration), { "error.type": "APIError" }),
    ).toHaveLength(1);
    expect(metrics.get(MetricName.TokenUsage)).toBeUndefined();
  });

  it("records an aborted turn as aborted without an error status", () => {
    const turn = startTurnSpan(TURN);
    turn.onReply({ kind: "error", code: "MessageAbortedError" });
    turn.end({ status: "aborted" });
    const span = onlySpan();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({
      "taos.turn.outcome": "aborted",
      "error.type": "MessageAbortedError",
    });
  });

  it("ends once: a second end and later replies change nothing", async () => {
    const turn = startTurnSpan(TURN);
    turn.end({ status: "completed" });
    turn.onReply({ kind: "error", code: "late" });
    turn.end({ status: "error" });
    expect(onlySpan().attributes["taos.turn.outcome"]).toBe("completed");
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
      { kind: "error", error: `401 Invalid key ${secret} for ${prompt}`, code: `bad ${secret}` },
    ];
    for (const reply of replies) turn.onReply(reply as TelemetryReply);
    turn.end({ status: "error" });
    const text = exportedText(otel.spans.getFinishedSpans(), (await otel.collect()).values());
    expect(text).toContain("invoke_agent opencode");
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("nightingale");
    expect(onlySpan().attributes["error.type"]).toBe("_OTHER");
  });
});

describe("server spans", () => {
  it("records a start with binary, version, port and readiness time", async () => {
    const start = startServerSpan("start");
    start.ready({ binary: "/opt/opencode/bin/opencode", port: 4321, version: "1.18.33", pid: 42 });
    const span = onlySpan();
    expect(span.name).toBe("opencode.server.start");
    expect(span.attributes).toMatchObject({
      "taos.server.operation": "start",
      "taos.server.outcome": "ready",
      "process.executable.path": "/opt/opencode/bin/opencode",
      "taos.opencode.version": "1.18.33",
      "server.address": "127.0.0.1",
      "server.port": 4321,
      "process.pid": 42,
    });
    expect(span.attributes["taos.server.readiness_ms"]).toBeGreaterThanOrEqual(0);
    const metrics = await otel.collect();
    expect(
      pointsOf<number>(metrics.get(MetricName.ServerStarts), {
        "taos.server.operation": "start",
        "taos.server.outcome": "ready",
      }).map((point) => point.value),
    ).toEqual([1]);
    expect(pointsOf<Histogram>(metrics.get(MetricName.ServerStartDuration))[0]!.value.count).toBe(
      1,
    );
  });

  it("records a failed restart with the error's code only", async () => {
    const start = startServerSpan("restart");
    const error = Object.assign(new Error("spawn failed, password hunter2"), { code: "ENOENT" });
    start.failed(error);
    start.ready({ binary: "/late", port: 1 });
    const span = onlySpan();
    expect(span.name).toBe("opencode.server.restart");
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "ENOENT" });
    expect(span.attributes).toMatchObject({
      "taos.server.outcome": "failed",
      "error.type": "ENOENT",
    });
    const metrics = await otel.collect();
    expect(exportedText([span], metrics.values())).not.toContain("hunter2");
    expect(pointsOf(metrics.get(MetricName.ServerStarts), { "error.type": "ENOENT" })).toHaveLength(
      1,
    );
  });

  it("counts unexpected exits with their code and signal", async () => {
    recordServerExit({ exitCode: 1, signal: null });
    recordServerExit({ exitCode: null, signal: "SIGKILL" });
    const exits = (await otel.collect()).get(MetricName.ServerUnexpectedExits);
    expect(pointsOf<number>(exits, { "process.exit.code": 1 }).map((p) => p.value)).toEqual([1]);
    expect(
      pointsOf<number>(exits, { "taos.server.exit.signal": "SIGKILL" }).map((p) => p.value),
    ).toEqual([1]);
  });
});

describe("pool gauges", () => {
  it("reports running servers and queue length at each collection until stopped", async () => {
    let stats = { servers: 2, queued: 5 };
    const gauges = poolGauges(() => stats, { "taos.pool.name": "main" });
    let metrics = await otel.collect();
    expect(pointsOf<number>(metrics.get(MetricName.PoolServers))[0]!.value).toBe(2);
    expect(pointsOf<number>(metrics.get(MetricName.PoolQueueLength))[0]!.value).toBe(5);
    expect(
      pointsOf(metrics.get(MetricName.PoolServers), { "taos.pool.name": "main" }),
    ).toHaveLength(1);
    stats = { servers: 3, queued: 0 };
    metrics = await otel.collect();
    expect(pointsOf<number>(metrics.get(MetricName.PoolServers))[0]!.value).toBe(3);
    gauges.stop();
    gauges.stop();
    stats = { servers: 9, queued: 9 };
    metrics = await otel.collect();
    const after = pointsOf<number>(metrics.get(MetricName.PoolServers)).map((p) => p.value);
    expect(after).not.toContain(9);
  });

  it("reads async stats, as a pool's stats() gives them", async () => {
    const gauges = poolGauges(async () => ({ servers: 4, queued: 1, busy: 2 }));
    const metrics = await otel.collect();
    expect(pointsOf<number>(metrics.get(MetricName.PoolServers))[0]!.value).toBe(4);
    expect(pointsOf<number>(metrics.get(MetricName.PoolQueueLength))[0]!.value).toBe(1);
    gauges.stop();
  });

  it("skips a collection when the stats callback throws", async () => {
    const gauges = poolGauges(() => {
      throw new Error("pool closed");
    });
    const metrics = await otel.collect();
    expect(pointsOf(metrics.get(MetricName.PoolServers))).toHaveLength(0);
    gauges.stop();
  });
});

describe("without @opentelemetry/api", () => {
  it("finds the API next to this package", () => {
    expect(otelApiLoaderFrom(import.meta.url)()?.trace).toBe(trace);
  });

  it("loads and runs from a directory where the API cannot be found", () => {
    // A copy of the sources outside the workspace, run by plain Node with no NODE_PATH:
    // the optional peer is really absent, as for a host that never installed it.
    const bare = mkdtempSync(join(tmpdir(), "taos-no-otel-"));
    try {
      cpSync(fileURLToPath(new URL("../src", import.meta.url)), join(bare, "src"), {
        recursive: true,
      });
      writeFileSync(join(bare, "driver.ts"), ABSENT_DRIVER);
      const env = { ...process.env };
      delete env.NODE_PATH;
      const output = execFileSync(
        process.execPath,
        ["--import", pathToFileURL(require.resolve("tsx")).href, join(bare, "driver.ts")],
        { cwd: bare, env, encoding: "utf8" },
      );
      expect(JSON.parse(output)).toEqual({ api: false, within: 7, ran: true });
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it.each([
    ["is missing", () => undefined],
    [
      "throws while loading",
      () => {
        throw new Error("broken install");
      },
    ],
  ])("turns every call into a no-op when the API %s", async (_, loader) => {
    setOtelApiLoader(loader);
    const turn = startTurnSpan(TURN);
    turn.onReply({ kind: "tool_call", tool: "bash", call_id: "c1" });
    turn.onDecision({ kind: "permission", requestId: "per_1", reply: "once" });
    turn.setSessionId("ses_1");
    expect(turn.within(() => 7)).toBe(7);
    turn.end({ status: "completed" });
    startServerSpan("start").ready({ binary: "/bin/opencode", port: 1 });
    startServerSpan("restart").failed(new Error("x"));
    recordServerExit({ exitCode: 1 });
    poolGauges(() => ({ servers: 1, queued: 1 })).stop();
    expect(otel.spans.getFinishedSpans()).toHaveLength(0);
    expect((await otel.collect()).size).toBe(0);
  });
});

describe("a failing SDK", () => {
  it("never breaks the caller, and within still runs its function once", async () => {
    const api = otelApiLoaderFrom(import.meta.url)()!;
    const boom = (): never => {
      throw new Error("exporter down");
    };
    const brokenSpan = new Proxy({}, { get: () => boom });
    // The real API objects with some methods replaced (class instances: keep the prototype).
    const patched = <T extends object>(target: T, methods: object): T =>
      Object.assign(Object.create(target) as T, methods);
    const broken = {
      ...api,
      trace: patched(api.trace, { getTracer: () => ({ startSpan: () => brokenSpan }) }),
      context: patched(api.context, { with: boom }),
      metrics: patched(api.metrics, { getMeterProvider: boom }),
    };
    setOtelApiLoader(() => broken);
    const turn = startTurnSpan(TURN);
    turn.onReply({ kind: "tool_call", tool: "bash", call_id: "c1" });
    turn.onDecision({ kind: "question", requestId: "q", reply: "reject" });
    turn.setSessionId("ses_1");
    let calls = 0;
    expect(turn.within(() => ++calls)).toBe(1);
    expect(calls).toBe(1);
    turn.end({ status: "completed" });
    const start = startServerSpan("start");
    start.ready({ binary: "/bin/opencode", port: 1 });
    start.failed(new Error("x"));
    recordServerExit({ exitCode: 1 });
    poolGauges(() => ({ servers: 1, queued: 0 })).stop();
  });

  it("lets an error thrown by the function within pass through, running it once", () => {
    const turn = startTurnSpan(TURN);
    let calls = 0;
    expect(() =>
      turn.within(() => {
        calls += 1;
        throw new Error("turn code failed");
      }),
    ).toThrow("turn code failed");
    expect(calls).toBe(1);
    turn.end({ status: "error" });
  });
});

describe("error types", () => {
  it("accept short identifiers only", () => {
    expect(isErrorType("APIError")).toBe(true);
    expect(isErrorType("401")).toBe(true);
    expect(isErrorType("event_stream_lost")).toBe(true);
    expect(isErrorType("")).toBe(false);
    expect(isErrorType("Invalid key sk-123")).toBe(false);
    expect(isErrorType("x".repeat(65))).toBe(false);
  });

  it("come from a code, else a specific name, else _OTHER", () => {
    expect(errorTypeOf(Object.assign(new Error("m"), { code: "ECONNREFUSED" }))).toBe(
      "ECONNREFUSED",
    );
    expect(errorTypeOf(new TypeError("m"))).toBe("TypeError");
    expect(errorTypeOf(new Error("m"))).toBe("_OTHER");
    expect(errorTypeOf(undefined)).toBe("_OTHER");
    expect(errorTypeOf("text")).toBe("_OTHER");
  });

  it("of a turn: the code when it is one, else aborted or _OTHER", () => {
    expect(turnOutcome("completed", "APIError").errorType).toBeUndefined();
    expect(turnOutcome("error", "401").errorType).toBe("401");
    expect(turnOutcome("error", undefined).errorType).toBe("_OTHER");
    expect(turnOutcome("aborted", undefined).errorType).toBe("aborted");
    expect(turnOutcome("error", "not an identifier").errorType).toBe("_OTHER");
  });
});
