import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { SpanStatusCode, trace } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { describe, expect, it } from "vitest";
import {
  HEAL_SPAN,
  MetricName,
  otelApiLoaderFrom,
  poolGauges,
  recordServerExit,
  setOtelApiLoader,
  startHeal,
  startServerSpan,
  startTurnSpan,
  WEDGED_EVENT,
} from "../src/index.js";
import { exportedText, type OtelHarness, pointsOf, useOtelPerFile } from "./otel-support.js";

const TURN = {
  traceId: "taos-trace-1",
  modelId: "gpt-test",
  providerId: "litellm",
  baseUrl: "http://127.0.0.1:4123",
};

const require = createRequire(import.meta.url);

const ABSENT_DRIVER = `
import { otelApi, poolGauges, recordServerExit, startHeal, startServerSpan, startTurnSpan } from "./src/index.ts";
const turn = startTurnSpan({ traceId: "t", modelId: "m", providerId: "p" });
turn.onReply({ kind: "tool_call", tool: "bash", call_id: "c1" });
const within = turn.within(() => 7);
turn.end({ status: "completed" });
startServerSpan("start").ready({ binary: "/bin/opencode", port: 1 });
recordServerExit({ exitCode: 1 });
startHeal({ code: "no_answer", turns: 2 }).done("restarted");
poolGauges(() => ({ servers: 1, queued: 0 })).stop();
process.stdout.write(JSON.stringify({ api: otelApi() !== undefined, within, ran: true }));
`;

const otel: OtelHarness = useOtelPerFile();

describe("server spans", () => {
  it("records a start with binary, version, port and readiness time", async () => {
    const start = startServerSpan("start");
    start.ready({ binary: "/opt/opencode/bin/opencode", port: 4321, version: "1.18.33", pid: 42 });
    const span = otel.onlySpan();
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
    const span = otel.onlySpan();
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

describe("heals", () => {
  it("counts a wedged server and records the heal span with its wedged event and outcome", async () => {
    const heal = startHeal({ code: "no_answer", turns: 2, agentId: "a1" });
    heal.done("restarted");
    heal.done("failed");
    const span = otel.onlySpan(HEAL_SPAN);
    expect(span.attributes).toMatchObject({
      "taos.turn.error_code": "no_answer",
      "taos.server.wedged_turns": 2,
      "taos.agent.id": "a1",
      "taos.server.heal.outcome": "restarted",
    });
    expect(span.events.map((event) => event.name)).toEqual([WEDGED_EVENT]);
    const wedged = (await otel.collect()).get(MetricName.ServerWedged);
    expect(
      pointsOf<number>(wedged, { "taos.turn.error_code": "no_answer" }).map((p) => p.value),
    ).toEqual([1]);
  });

  it("marks a heal whose restart failed as an error", () => {
    startHeal({ code: "opencode_server_error", turns: 2 }).done("failed");
    expect(otel.onlySpan(HEAL_SPAN).status.code).toBe(SpanStatusCode.ERROR);
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
