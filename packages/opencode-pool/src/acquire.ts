import { abortable, delay } from "@taos/internal";
import { ReplyErrorCode } from "@taos/opencode-adapter";
import type { AgentRecord } from "./agent.js";
import type { PoolEmitter } from "./events.js";
import type { LaunchedServer } from "./launcher.js";
import type { ServerLifecycle } from "./lifecycle.js";
import type { WaitOutcome, WaitQueue } from "./queue.js";
import type { TurnRefusal } from "./turn.js";

/** The pool's parts a turn goes through to get a server and give it back. */
export interface SlotContext {
  readonly agents: ReadonlyMap<string, AgentRecord>;
  readonly queue: WaitQueue;
  readonly emitter: PoolEmitter;
  readonly servers: ServerLifecycle;
  readonly maxServers: number;
}

/** One turn's claim on its agent's server. */
export interface SlotRequest {
  readonly record: AgentRecord;
  readonly traceId: string;
  readonly signal: AbortSignal;
  readonly queueTimeoutMs: number;
}

export const POOL_CLOSED: TurnRefusal = {
  code: ReplyErrorCode.PoolClosed,
  message: "the opencode pool is closed",
};

/**
 * The agent's server for one turn: taken when it runs, awaited while it starts
 * or stops, launched once the queue grants a slot; a refusal when it cannot be had.
 */
export async function acquireServer(
  slots: SlotContext,
  request: SlotRequest,
): Promise<LaunchedServer | TurnRefusal> {
  const { record, signal } = request;
  let launched = false;
  for (;;) {
    const refusal = refusalFor(slots, record, signal);
    const server = refusal === undefined ? takeServer(record) : undefined;
    // The start slot is free once its server is taken or given up (not before: a pass
    // in between could evict the server this turn just started): the next start may go.
    if (launched && (refusal !== undefined || server !== undefined)) slots.servers.pump();
    if (refusal !== undefined) return refusal;
    if (server !== undefined) return server;
    if (record.phase !== "stopped") {
      await abortable(record.changed(), signal).catch(() => undefined);
      continue;
    }
    const backoff = record.retryAt - Date.now();
    if (backoff > 0) {
      await delay(backoff, signal).catch(() => undefined);
      continue;
    }
    const outcome = await waitForSlot(slots, request);
    if (outcome === "launch") {
      launched = true;
      await slots.servers.launch(record);
    }
    const queued = queueRefusal(outcome, request.queueTimeoutMs, slots.maxServers);
    if (queued !== undefined) return queued;
  }
}

/** A turn's (or a warm-up's, not `counted`) server is given back: the agent goes idle (or is replaced) once its last turn ends. */
export function releaseServer(
  servers: ServerLifecycle,
  record: AgentRecord,
  server: LaunchedServer,
  counted = true,
): void {
  record.runningTurns -= 1;
  if (counted) {
    record.turns += 1;
    record.lastTurnAt = Date.now();
    servers.countTurn(record);
  }
  servers.touch(record);
  if (record.runningTurns === 0 && record.server === server && record.tryTransition("turnsDone")) {
    if (record.launchedVersion !== record.configVersion) void servers.stop(record, "updated");
    else servers.armIdleStop(record);
  }
  servers.pump();
}

/** Why the turn cannot go on now, whatever the queue says. */
function refusalFor(
  slots: SlotContext,
  record: AgentRecord,
  signal: AbortSignal,
): TurnRefusal | undefined {
  if (signal.aborted) return { code: ReplyErrorCode.Aborted, message: "turn aborted" };
  if (slots.agents.get(record.agentId) !== record)
    return {
      code: ReplyErrorCode.UnknownAgent,
      message: `agent ${record.agentId} was unregistered`,
    };
  if (record.phase === "failing")
    return {
      code: ReplyErrorCode.AgentFailing,
      message: `agent ${record.agentId} is failing (last exit: ${record.lastExit ?? "unknown"}); reset() lets it start again`,
    };
  return undefined;
}

/** The running server, with one more turn on it; undefined while there is none to take. */
function takeServer(record: AgentRecord): LaunchedServer | undefined {
  const phase = record.phase;
  if ((phase !== "idle" && phase !== "busy") || record.server === undefined) return undefined;
  record.runningTurns += 1;
  record.transition("turnBegan");
  clearTimeout(record.idleTimer);
  return record.server;
}

function waitForSlot(slots: SlotContext, request: SlotRequest): Promise<WaitOutcome> {
  const { record, traceId } = request;
  return slots.queue.wait(
    record.agentId,
    traceId,
    request.queueTimeoutMs,
    request.signal,
    (position) => {
      slots.emitter.emit("queue", { agentId: record.agentId, traceId, position });
      slots.servers.pump();
    },
  );
}

/** The queue's answer as a refusal; undefined when the turn looks again (launched, retry, aborted). */
function queueRefusal(
  outcome: WaitOutcome,
  queueTimeoutMs: number,
  maxServers: number,
): TurnRefusal | undefined {
  if (outcome === "timeout")
    return {
      code: ReplyErrorCode.PoolBusy,
      message: `no opencode server was free within ${queueTimeoutMs} ms (${maxServers} running, all busy)`,
    };
  if (outcome === "closed") return POOL_CLOSED;
  return undefined;
}
