import { delay, type PoolGauges } from "@taos/internal";
import type { AgentRecord } from "./agent.js";
import { PoolClosedError } from "./errors.js";
import type { ServerLifecycle } from "./lifecycle.js";
import type { WaitQueue } from "./queue.js";

/** What a pool's close ends: its queue, its running turns, its agents' starts and servers. */
export interface ShutdownContext {
  readonly queue: WaitQueue;
  readonly turns: ReadonlySet<Promise<unknown>>;
  /** Aborts every running turn. */
  readonly shutdown: AbortController;
  readonly agents: ReadonlyMap<string, AgentRecord>;
  readonly servers: ServerLifecycle;
  readonly gauges: PoolGauges;
}

/**
 * The close sequence: queued turns end, running turns get `graceMs`, then
 * everything still going is aborted and every server stops.
 */
export async function shutDown(context: ShutdownContext, graceMs: number): Promise<void> {
  context.queue.settleAll("closed");
  const running = Promise.allSettled([...context.turns]);
  await withinGrace(running, graceMs);
  abortEverything(context);
  await running;
  await stopEveryServer(context);
  context.gauges.stop();
}

/** Waits for `running`, no longer than `graceMs`; leaves no timer behind. */
async function withinGrace(running: Promise<unknown>, graceMs: number): Promise<void> {
  const timer = new AbortController();
  await Promise.race([running, delay(graceMs, timer.signal).catch(() => undefined)]);
  timer.abort();
}

function abortEverything(context: ShutdownContext): void {
  context.shutdown.abort(new PoolClosedError("a running turn"));
  for (const record of context.agents.values())
    record.abort.abort(new PoolClosedError("a server start"));
}

async function stopEveryServer(context: ShutdownContext): Promise<void> {
  const records = [...context.agents.values()];
  await Promise.all(records.map((record) => context.servers.stopAndSettle(record, "shutdown")));
  for (const record of context.agents.values()) record.clearTimers();
}
