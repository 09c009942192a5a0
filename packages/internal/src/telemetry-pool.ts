import type { Attributes } from "@opentelemetry/api";
import { MetricName, type OtelApi, otelApi, quietly, TELEMETRY_SCOPE } from "./telemetry-api.js";

/** What the pool gauges read (a pool's own stats object fits). */
export interface PoolGaugeStats {
  /** Servers holding a slot (starting, idle, busy, stopping). */
  readonly servers: number;
  /** Turns waiting for a slot. */
  readonly queued: number;
}

/** Stops reporting a pool's gauges. */
export interface PoolGauges {
  stop(): void;
}

const stopped: PoolGauges = { stop: () => undefined };

/**
 * Reports `taos.opencode.pool.servers` and `taos.opencode.pool.queue.length` as observable
 * gauges read from `getStats` at each collection (it may be async). A no-op without the
 * API. The gauges are registered on the meter provider current at this call; `attributes`
 * (e.g. a pool name) go on both.
 */
export function poolGauges(
  getStats: () => PoolGaugeStats | Promise<PoolGaugeStats>,
  attributes: Attributes = {},
): PoolGauges {
  const api = otelApi();
  if (api === undefined) return stopped;
  try {
    return observePool(api, getStats, attributes);
  } catch {
    return stopped;
  }
}

function observePool(
  api: OtelApi,
  getStats: () => PoolGaugeStats | Promise<PoolGaugeStats>,
  attributes: Attributes,
): PoolGauges {
  const meter = api.metrics.getMeter(TELEMETRY_SCOPE);
  const servers = meter.createObservableGauge(MetricName.PoolServers, {
    unit: "{server}",
    description: "opencode serve processes holding a slot of the pool.",
  });
  const queue = meter.createObservableGauge(MetricName.PoolQueueLength, {
    unit: "{turn}",
    description: "Turns waiting for a slot of the pool.",
  });
  const callback = async (result: {
    observe(observable: typeof servers, value: number, attributes?: Attributes): void;
  }): Promise<void> => {
    let stats: PoolGaugeStats;
    try {
      stats = await getStats();
    } catch {
      // A pool that cannot tell (closing, say) reports nothing this time.
      return;
    }
    result.observe(servers, stats.servers, attributes);
    result.observe(queue, stats.queued, attributes);
  };
  meter.addBatchObservableCallback(callback, [servers, queue]);
  let active = true;
  return {
    stop: () => {
      if (!active) return;
      active = false;
      quietly(() => meter.removeBatchObservableCallback(callback, [servers, queue]));
    },
  };
}
