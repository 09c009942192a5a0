// In-memory OpenTelemetry SDK for tests: one tracer and one meter provider registered as the
// process's globals (each vitest file runs in its own worker), read back after each test.
import { type Attributes, context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, expect } from "vitest";
import { setOtelApiLoader } from "../src/index.js";

export type { ReadableSpan };

export interface OtelHarness {
  readonly spans: InMemorySpanExporter;
  /** The one span finished so far, named `name` when given (fails the test unless there is exactly one). */
  onlySpan(name?: string): ReadableSpan;
  /** Every metric collected now, by name. */
  collect(): Promise<Map<string, MetricData>>;
  /** Forget what was recorded so far (spans and metrics). */
  reset(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Registers in-memory providers as the global ones. */
export function installOtel(): OtelHarness {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  let exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  let reader: PeriodicExportingMetricReader;
  let meterProvider: MeterProvider;
  const startMetrics = (): void => {
    exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // Collected on demand through forceFlush; the interval never fires within a test.
    reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    meterProvider = new MeterProvider({ readers: [reader] });
    metrics.disable();
    metrics.setGlobalMeterProvider(meterProvider);
  };
  startMetrics();
  return {
    spans,
    onlySpan(name) {
      const finished = spans
        .getFinishedSpans()
        .filter((span) => name === undefined || span.name === name);
      expect(finished).toHaveLength(1);
      return finished[0] as ReadableSpan;
    },
    async collect() {
      await reader.forceFlush();
      const found = new Map<string, MetricData>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) found.set(metric.descriptor.name, metric);
        }
      }
      exporter.reset();
      return found;
    },
    async reset() {
      spans.reset();
      await meterProvider.shutdown();
      startMetrics();
    },
    async shutdown() {
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      metrics.disable();
      trace.disable();
      context.disable();
    },
  };
}

/** The data points of a metric whose attributes include `match`. */
export function pointsOf<T = number | Histogram>(
  metric: MetricData | undefined,
  match: Attributes = {},
): DataPoint<T>[] {
  if (metric === undefined) return [];
  return (metric.dataPoints as DataPoint<T>[]).filter((point) =>
    Object.entries(match).every(([key, value]) => point.attributes[key] === value),
  );
}

/** Everything exported, as one string: for asserting that a secret appears nowhere. */
export function exportedText(
  spans: readonly ReadableSpan[],
  metricData: Iterable<MetricData>,
): string {
  const spanData = spans.map((span) => ({
    name: span.name,
    attributes: span.attributes,
    events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
    status: span.status,
    links: span.links,
  }));
  const metricPoints = [...metricData].map((metric) => ({
    name: metric.descriptor.name,
    points: metric.dataPoints.map((point) => point.attributes),
  }));
  return JSON.stringify({ spanData, metricPoints });
}

/**
 * Installs the in-memory providers for this test file (each file runs in its own worker):
 * reset after each test, with the API loader put back; shut down after the file.
 */
export function useOtelPerFile(): OtelHarness {
  const otel = installOtel();
  afterEach(async () => {
    setOtelApiLoader();
    await otel.reset();
  });
  afterAll(() => otel.shutdown());
  return otel;
}
