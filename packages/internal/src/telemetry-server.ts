import type { Attributes, Span } from "@opentelemetry/api";
import {
  errorTypeOf,
  type OtelApi,
  otelInstruments,
  otelTracer,
  quietly,
} from "./telemetry-api.js";

/** A start of `opencode serve`, or the start of its replacement. */
export type ServerOperation = "start" | "restart";

/** What is known once the server answered healthy. */
export interface ServerReadyInfo {
  /** The executable started. */
  readonly binary: string;
  readonly port: number;
  readonly host?: string;
  /** opencode's version from its health answer. */
  readonly version?: string;
  readonly pid?: number;
}

/** The span and metrics of one server start. Every method is a no-op without the API. */
export interface ServerStartTelemetry {
  ready(info: ServerReadyInfo): void;
  /** The start failed; only the error's code or name is recorded. */
  failed(error: unknown): void;
}

/** Span names of server starts. */
export const ServerSpan = {
  start: "opencode.server.start",
  restart: "opencode.server.restart",
} as const;

const noopStart: ServerStartTelemetry = { ready: () => undefined, failed: () => undefined };

/** Starts the span of a server start or restart, as a child of the caller's active context. */
export function startServerSpan(operation: ServerOperation): ServerStartTelemetry {
  const found = otelTracer();
  if (found === undefined) return noopStart;
  const { api, tracer } = found;
  try {
    const span = tracer.startSpan(
      ServerSpan[operation],
      { kind: api.SpanKind.INTERNAL, attributes: { "taos.server.operation": operation } },
      api.context.active(),
    );
    const start = new SpanServerStart(api, span, operation);
    return {
      ready: (info) => quietly(() => start.ready(info)),
      failed: (error) => quietly(() => start.failed(error)),
    };
  } catch {
    return noopStart;
  }
}

class SpanServerStart implements ServerStartTelemetry {
  private readonly started = performance.now();
  private ended = false;

  constructor(
    private readonly api: OtelApi,
    private readonly span: Span,
    private readonly operation: ServerOperation,
  ) {}

  ready(info: ServerReadyInfo): void {
    if (this.ended) return;
    this.ended = true;
    const seconds = (performance.now() - this.started) / 1000;
    const attributes: Attributes = {
      "process.executable.path": info.binary,
      "server.address": info.host ?? "127.0.0.1",
      "server.port": info.port,
      "taos.server.readiness_ms": Math.round(seconds * 1000),
      "taos.server.outcome": "ready",
    };
    if (info.version !== undefined) attributes["taos.opencode.version"] = info.version;
    if (info.pid !== undefined) attributes["process.pid"] = info.pid;
    this.span.setAttributes(attributes);
    this.span.end();
    const instruments = otelInstruments();
    const common = { "taos.server.operation": this.operation };
    instruments?.serverStarts.add(1, { ...common, "taos.server.outcome": "ready" });
    instruments?.serverStartDuration.record(seconds, common);
  }

  failed(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const errorType = errorTypeOf(error);
    this.span.setAttributes({ "taos.server.outcome": "failed", "error.type": errorType });
    this.span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: errorType });
    this.span.end();
    otelInstruments()?.serverStarts.add(1, {
      "taos.server.operation": this.operation,
      "taos.server.outcome": "failed",
      "error.type": errorType,
    });
  }
}

/** Counts a server exit nobody asked for (a crash, an outside kill). */
export function recordServerExit(info: {
  readonly exitCode?: number | null;
  readonly signal?: string | null;
}): void {
  const attributes: Attributes = {};
  if (typeof info.exitCode === "number") attributes["process.exit.code"] = info.exitCode;
  if (typeof info.signal === "string") attributes["taos.server.exit.signal"] = info.signal;
  quietly(() => otelInstruments()?.serverExits.add(1, attributes));
}
