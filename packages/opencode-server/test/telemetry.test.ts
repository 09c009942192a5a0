import { SpanStatusCode } from "@opentelemetry/api";
import type { Histogram } from "@opentelemetry/sdk-metrics";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import { makeTempHome, opencodeBinaryPath, type TempHome } from "@taos/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exportedText,
  installOtel,
  type OtelHarness,
  pointsOf,
} from "../../internal/test/otel-support.js";
import { OpenCodeServer } from "../src/index.js";
import { isGone } from "./helpers.js";

const KEY = "sk-otel-server-key-0123456789";

describe("server telemetry against the real opencode serve", () => {
  let otel: OtelHarness;
  let llm: FakeLiteLLM;
  let temp: TempHome;
  let server: OpenCodeServer;

  beforeAll(async () => {
    otel = installOtel();
    llm = await startFakeLiteLLM({ keys: [KEY], models: ["fake-model"] });
    temp = await makeTempHome("taos-oc-otel-");
    server = new OpenCodeServer({
      home: temp.path,
      litellm: { baseURL: llm.url, apiKey: KEY, modelIds: ["fake-model"] },
      binary: opencodeBinaryPath(),
    });
  });

  afterAll(async () => {
    await server?.stop();
    await llm?.close();
    await temp?.cleanup();
    await otel?.shutdown();
  });

  it("records a start: binary, version, port, readiness time and the starts counter", async () => {
    await server.ensureRunning();
    await server.ensureRunning();
    const spans = otel.spans.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(["opencode.server.start"]);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans[0]!.attributes).toMatchObject({
      "taos.server.operation": "start",
      "taos.server.outcome": "ready",
      "process.executable.path": opencodeBinaryPath(),
      "taos.opencode.version": server.version,
      "server.address": "127.0.0.1",
      "server.port": server.port,
      "process.pid": server.pid,
    });
    expect(spans[0]!.attributes["taos.server.readiness_ms"]).toBeGreaterThan(0);
    const metrics = await otel.collect();
    expect(
      pointsOf<number>(metrics.get("taos.opencode.server.starts"), {
        "taos.server.operation": "start",
        "taos.server.outcome": "ready",
      }).map((point) => point.value),
    ).toEqual([1]);
    const readiness = pointsOf<Histogram>(metrics.get("taos.opencode.server.start.duration"));
    expect(readiness.map((point) => point.value.count)).toEqual([1]);
  });

  it("records a restart as its own span", async () => {
    otel.spans.reset();
    await server.restart();
    const spans = otel.spans.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(["opencode.server.restart"]);
    expect(spans[0]!.attributes).toMatchObject({
      "taos.server.operation": "restart",
      "server.port": server.port,
    });
  });

  it("counts an exit nobody asked for, and the start that replaces it", async () => {
    const pid = server.pid!;
    const exited = new Promise((resolve) => server.onExit(resolve));
    process.kill(-pid, "SIGKILL");
    await exited;
    expect(await isGone(pid)).toBe(true);
    await server.ensureRunning();
    const metrics = await otel.collect();
    expect(
      pointsOf<number>(metrics.get("taos.opencode.server.unexpected_exits"), {
        "taos.server.exit.signal": "SIGKILL",
      }).map((point) => point.value),
    ).toEqual([1]);
    expect(
      pointsOf<number>(metrics.get("taos.opencode.server.starts"), {
        "taos.server.operation": "restart",
      }).map((point) => point.value),
    ).toEqual([2]);
    const text = exportedText(otel.spans.getFinishedSpans(), metrics.values());
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(server.auth!.password);
  });
});
