import { createRequire } from "node:module";
import type * as OtelApiModule from "@opentelemetry/api";
import type { Counter, Histogram, Meter, Tracer } from "@opentelemetry/api";

/** The `@opentelemetry/api` module, when the host installed it. */
export type OtelApi = typeof OtelApiModule;

/** Finds `@opentelemetry/api`, or answers undefined when it is not installed. */
export type OtelApiLoader = () => OtelApi | undefined;

/** The instrumentation scope of every span and metric of taos-opencode. */
export const TELEMETRY_SCOPE = "@taos/opencode";

/**
 * A loader resolving `@opentelemetry/api` from `base` (a file URL or path). Synchronous and
 * safe in ESM: a missing optional peer is an answer (undefined), never a thrown error, and
 * no top-level await is needed. The API keeps its state on `globalThis`, so this copy sees
 * the providers a host registered through its own `import`.
 */
export function otelApiLoaderFrom(base: string | URL): OtelApiLoader {
  return () => {
    try {
      const api = createRequire(base)("@opentelemetry/api") as Partial<OtelApi>;
      return typeof api.trace?.getTracer === "function" &&
        typeof api.metrics?.getMeter === "function"
        ? (api as OtelApi)
        : undefined;
    } catch {
      return undefined;
    }
  };
}

const defaultLoader: OtelApiLoader = otelApiLoaderFrom(import.meta.url);

let loader: OtelApiLoader = defaultLoader;
let loaded: { readonly api: OtelApi | undefined } | undefined;

/** The OpenTelemetry API, loaded once at first use; undefined when it is not installed. */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    let api: OtelApi | undefined;
    try {
      api = loader();
    } catch {
      api = undefined;
    }
    loaded = { api };
  }
  return loaded.api;
}

/**
 * Replaces how the API is found (tests simulate a host without it); no argument restores
 * the real lookup. The next use loads again.
 */
export function setOtelApiLoader(next?: OtelApiLoader): void {
  loader = next ?? defaultLoader;
  loaded = undefined;
  instrumentCache = new WeakMap();
}

/** The tracer of taos-opencode, or undefined without the API. */
export function otelTracer(): { readonly api: OtelApi; readonly tracer: Tracer } | undefined {
  const api = otelApi();
  if (api === undefined) return undefined;
  try {
    return { api, tracer: api.trace.getTracer(TELEMETRY_SCOPE) };
  } catch {
    return undefined;
  }
}

/** Runs a piece of telemetry; a failing SDK or exporter must never break the caller. */
export function quietly(record: () => void): void {
  try {
    record();
  } catch {
    // Nothing to report to: the caller goes on without this piece of telemetry.
  }
}

/** Every synchronous instrument taos-opencode records to. */
export interface TelemetryInstruments {
  readonly meter: Meter;
  readonly turnDuration: Histogram;
  readonly tokenUsage: Histogram;
  readonly turns: Counter;
  readonly serverStarts: Counter;
  readonly serverStartDuration: Histogram;
  readonly serverExits: Counter;
  readonly serverWedged: Counter;
}

/** Metric names (GenAI semantic conventions where they have one). */
export const MetricName = {
  TurnDuration: "gen_ai.client.operation.duration",
  TokenUsage: "gen_ai.client.token.usage",
  Turns: "taos.opencode.turns",
  ServerStarts: "taos.opencode.server.starts",
  ServerStartDuration: "taos.opencode.server.start.duration",
  ServerUnexpectedExits: "taos.opencode.server.unexpected_exits",
  ServerWedged: "taos.opencode.server.wedged",
  PoolServers: "taos.opencode.pool.servers",
  PoolQueueLength: "taos.opencode.pool.queue.length",
} as const;

const DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

// One set of instruments per meter provider: a host may register its provider after our
// first use, and the API has no proxy for meters.
let instrumentCache = new WeakMap<object, TelemetryInstruments>();

/** The instruments on the current global meter provider, or undefined without the API. */
export function otelInstruments(): TelemetryInstruments | undefined {
  const api = otelApi();
  if (api === undefined) return undefined;
  try {
    return instrumentsOf(api);
  } catch {
    return undefined;
  }
}

function instrumentsOf(api: OtelApi): TelemetryInstruments {
  const provider = api.metrics.getMeterProvider();
  const cached = instrumentCache.get(provider);
  if (cached !== undefined) return cached;
  const meter = provider.getMeter(TELEMETRY_SCOPE);
  const seconds = { unit: "s", advice: { explicitBucketBoundaries: DURATION_BUCKETS } };
  const instruments: TelemetryInstruments = {
    meter,
    turnDuration: meter.createHistogram(MetricName.TurnDuration, {
      ...seconds,
      description: "Duration of one opencode turn (invoke_agent), from prompt to its end.",
    }),
    tokenUsage: meter.createHistogram(MetricName.TokenUsage, {
      unit: "{token}",
      description: "Input and output tokens of one opencode turn.",
      advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
    }),
    turns: meter.createCounter(MetricName.Turns, {
      unit: "{turn}",
      description: "Turns ended, by outcome (completed, error, aborted).",
    }),
    serverStarts: meter.createCounter(MetricName.ServerStarts, {
      unit: "{start}",
      description: "opencode serve starts and restarts, by outcome.",
    }),
    serverStartDuration: meter.createHistogram(MetricName.ServerStartDuration, {
      ...seconds,
      description: "Time from spawning opencode serve until it answered healthy.",
    }),
    serverExits: meter.createCounter(MetricName.ServerUnexpectedExits, {
      unit: "{exit}",
      description: "opencode serve processes that exited without being asked to stop.",
    }),
    serverWedged: meter.createCounter(MetricName.ServerWedged, {
      unit: "{restart}",
      description: "opencode serve processes restarted because they kept failing prompts.",
    }),
  };
  instrumentCache.set(provider, instruments);
  return instruments;
}

/**
 * Whether a code may go into `error.type`: a short identifier (`APIError`, `401`,
 * `ECONNREFUSED`), never free text that could quote a key or a prompt.
 */
export function isErrorType(code: string): boolean {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(code);
}

/** The `error.type` of a thrown value: its code or name when it is an identifier, else `_OTHER`. */
export function errorTypeOf(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === "string" && isErrorType(code)) return code;
  if (typeof name === "string" && isErrorType(name) && name !== "Error") return name;
  return "_OTHER";
}
