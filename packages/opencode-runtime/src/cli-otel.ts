import type * as OtelApi from "@opentelemetry/api";
import type * as SdkMetrics from "@opentelemetry/sdk-metrics";
import type * as SdkTrace from "@opentelemetry/sdk-trace-base";
import { TaosOpenCodeError } from "@taos/opencode-config";

/** The packages `--otel` needs; optional, so the published CLI stays light. */
export const OTEL_PACKAGES: readonly string[] = [
  "@opentelemetry/api",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/sdk-metrics",
];

/** `--otel` was asked for, but the OpenTelemetry packages are not installed. */
export class CliOtelUnavailableError extends TaosOpenCodeError {
  static override readonly marker: string = "taos.opencode.error.CliOtelUnavailableError";
  constructor({ missing }: { readonly missing: string }) {
    super({
      message: `--otel needs ${missing} (not installed); install the OpenTelemetry packages next to taos-opencode: npm i ${OTEL_PACKAGES.join(" ")}`,
    });
  }
}

/** Spans print as they end; `shutdown` prints the metrics and unregisters everything. */
export interface CliTelemetry {
  shutdown(): Promise<void>;
}

// A specifier the bundler cannot see: the SDK packages are loaded from the host's install,
// never bundled into the CLI.
const importOptional = (name: string): Promise<unknown> => import(name);

/** Imports a package by name; `startCliTelemetry` takes another to simulate a bare install. */
export type OptionalImport = (name: string) => Promise<unknown>;

async function load<T>(name: string, importer: OptionalImport): Promise<T> {
  try {
    return (await importer(name)) as T;
  } catch {
    throw new CliOtelUnavailableError({ missing: name });
  }
}

/**
 * Registers a tracer and a meter provider that write to `writeLine` (stderr): one line per
 * span as it ends, then one line per metric at `shutdown`.
 */
export async function startCliTelemetry(
  writeLine: (line: string) => void,
  importer: OptionalImport = importOptional,
): Promise<CliTelemetry> {
  const api = await load<typeof OtelApi>("@opentelemetry/api", importer);
  const trace = await load<typeof SdkTrace>("@opentelemetry/sdk-trace-base", importer);
  const sdkMetrics = await load<typeof SdkMetrics>("@opentelemetry/sdk-metrics", importer);
  const exporter: SdkTrace.SpanExporter = {
    export(spans, done) {
      for (const span of spans) writeLine(spanLine(span));
      done({ code: 0 });
    },
    shutdown: async () => undefined,
  };
  const tracerProvider = new trace.BasicTracerProvider({
    spanProcessors: [new trace.SimpleSpanProcessor(exporter)],
  });
  class OnDemandReader extends sdkMetrics.MetricReader {
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }
  const reader = new OnDemandReader();
  const meterProvider = new sdkMetrics.MeterProvider({ readers: [reader] });
  api.trace.setGlobalTracerProvider(tracerProvider);
  api.metrics.setGlobalMeterProvider(meterProvider);
  return {
    async shutdown() {
      await tracerProvider.forceFlush();
      const { resourceMetrics } = await reader.collect();
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) writeLine(metricLine(metric.descriptor, point));
        }
      }
      await meterProvider.shutdown();
      await tracerProvider.shutdown();
      api.trace.disable();
      api.metrics.disable();
    },
  };
}

/** `[otel] span invoke_agent opencode 812 ms {...} events [...]`. */
export function spanLine(span: SdkTrace.ReadableSpan): string {
  const [seconds, nanos] = span.duration;
  const ms = Math.round(seconds * 1000 + nanos / 1e6);
  const status = span.status.code === 2 ? ` ERROR ${span.status.message ?? ""}`.trimEnd() : "";
  const events = span.events.map((event) => ({ name: event.name, ...event.attributes }));
  const parent = span.parentSpanContext?.spanId;
  return [
    `[otel] span ${span.name} ${ms} ms${status}`,
    `trace=${span.spanContext().traceId} span=${span.spanContext().spanId}${parent ? ` parent=${parent}` : ""}`,
    JSON.stringify(span.attributes),
    ...(events.length > 0 ? [`events=${JSON.stringify(events)}`] : []),
  ].join(" ");
}

/** `[otel] metric gen_ai.client.token.usage {token} {...} count=1 sum=42`. */
export function metricLine(
  descriptor: SdkMetrics.MetricDescriptor,
  point: SdkMetrics.DataPoint<unknown>,
): string {
  const value = point.value;
  const shown =
    typeof value === "number"
      ? `value=${value}`
      : `count=${(value as { count?: number }).count} sum=${(value as { sum?: number }).sum}`;
  const unit = descriptor.unit ? ` ${descriptor.unit}` : "";
  return `[otel] metric ${descriptor.name}${unit} ${JSON.stringify(point.attributes)} ${shown}`;
}
