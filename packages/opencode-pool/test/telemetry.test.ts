import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metrics } from "@opentelemetry/api";
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { OpenCodePool } from "../src/index.js";
import { fakeLauncher, fakeTurns } from "./fakes.js";

let root: string;
let exporter: InMemoryMetricExporter;
let reader: PeriodicExportingMetricReader;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "taos-pool-otel-"));
  exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // Collected on demand through forceFlush; the interval never fires within the test.
  reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});

afterAll(async () => {
  await reader.shutdown();
  metrics.disable();
  await rm(root, { recursive: true, force: true });
});

/** The newest value of a gauge at a collection made now. */
async function gauge(name: string): Promise<number | undefined> {
  exporter.reset();
  await reader.forceFlush();
  for (const resource of exporter.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name === name) return metric.dataPoints[0]?.value as number;
      }
    }
  }
  return undefined;
}

describe("pool gauges", () => {
  it("report the servers holding a slot and the turns waiting for one", async () => {
    const held = fakeTurns("hold");
    const pool = new OpenCodePool({
      root,
      litellm: { baseURL: "http://127.0.0.1:9/v1" },
      launcher: fakeLauncher(),
      maxServers: 1,
      queueTimeoutMs: 60_000,
    });
    await pool.register("a", { apiKey: "sk-a-key-0001", modelIds: ["m"] });
    await pool.register("b", { apiKey: "sk-b-key-0001", modelIds: ["m"] });
    expect(await gauge("taos.opencode.pool.servers")).toBe(0);

    const first = pool.turn("a", "hold", {
      traceId: "t-a",
      sink: () => undefined,
      adapterFactory: held.factory,
    });
    await vi.waitFor(() => expect(held.held()).toBe(1));
    const second = pool.turn("b", "wait", {
      traceId: "t-b",
      sink: () => undefined,
      adapterFactory: held.factory,
    });
    await vi.waitFor(async () => expect(await gauge("taos.opencode.pool.queue.length")).toBe(1));
    expect(await gauge("taos.opencode.pool.servers")).toBe(1);

    await pool.close({ graceMs: 0 });
    expect(await Promise.all([first, second])).toMatchObject([
      { status: "aborted" },
      { status: "error" },
    ]);
  });
});
