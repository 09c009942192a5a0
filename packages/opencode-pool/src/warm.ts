import { acquireServer, releaseServer, type SlotContext } from "./acquire.js";
import type { AgentRecord } from "./agent.js";
import { PoolRefusedError } from "./errors.js";
import { bootstrapInstance } from "./server-http.js";

/**
 * Gets the agent a server as a turn would (queue, start, eviction) and has
 * opencode create its working directory's instance; gives the server back
 * without counting a turn.
 */
export async function warmAgent(
  slots: SlotContext,
  record: AgentRecord,
  signal: AbortSignal,
  queueTimeoutMs: number,
): Promise<void> {
  const acquired = await acquireServer(slots, { record, traceId: "warm", signal, queueTimeoutMs });
  if (!("baseUrl" in acquired)) throw new PoolRefusedError(acquired);
  try {
    await bootstrapInstance(acquired, record.settings.cwd ?? record.home, signal);
  } finally {
    releaseServer(slots.servers, record, acquired, false);
  }
}
