import { Redactor } from "@taos/internal";
import { ReplyErrorCode, type Sink, type TurnResult } from "@taos/opencode-adapter";
import { acquireServer, POOL_CLOSED, releaseServer, type SlotContext } from "./acquire.js";
import { disposeStaleDirectories } from "./directories.js";
import type { ResolvedPoolOptions } from "./options.js";
import { type PoolTurnOptions, refuseTurn, runTurn, type TurnRefusal } from "./turn.js";

/** What a pool turn needs of the pool. */
export interface PoolTurnContext {
  readonly options: ResolvedPoolOptions;
  readonly slots: SlotContext;
  readonly open: boolean;
  readonly shutdown: AbortSignal;
}

/** One turn of `OpenCodePool.turn`: refused (closed, unknown agent) or run on the agent's server. */
export function poolTurn(
  pool: PoolTurnContext,
  agentId: string,
  text: string,
  traceId: string,
  sink: Sink,
  options: PoolTurnOptions,
): Promise<TurnResult> {
  const { slots } = pool;
  const record = typeof agentId === "string" ? slots.agents.get(agentId) : undefined;
  const secrets = new Redactor(record ? [record.settings.apiKey] : []);
  const refuse = (refusal: TurnRefusal): Promise<TurnResult> =>
    refuseTurn(refusal, traceId, sink, options, secrets, pool.options.logger);
  if (!pool.open) return refuse(POOL_CLOSED);
  if (record === undefined)
    return refuse({
      code: ReplyErrorCode.UnknownAgent,
      message: `no agent ${JSON.stringify(String(agentId))} is registered`,
    });
  return runTurn({
    pool: pool.options,
    record,
    text,
    traceId,
    sink,
    options,
    secrets,
    shutdown: pool.shutdown,
    acquire: (signal, queueTimeoutMs) =>
      acquireServer(slots, { record, traceId, signal, queueTimeoutMs }),
    release: (server) => releaseServer(slots.servers, record, server),
    refuse,
    heal: (wedgedRecord, wedged) => slots.servers.stopWedged(wedgedRecord, wedged),
    onDirectoryIdle: (idle, at) =>
      void disposeStaleDirectories(
        [idle],
        pool.options.idleStopMs,
        slots.emitter,
        pool.options.logger,
        at,
      ),
  });
}
