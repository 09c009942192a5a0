import type { AgentRecord } from "./agent.js";
import type { AgentPhase } from "./phase.js";
import { treeRssMiB } from "./rss.js";

export interface AgentStats {
  readonly agentId: string;
  readonly state: AgentPhase;
  /** The server's process (local servers only). */
  readonly pid: number | undefined;
  /** Its process tree's RSS in MiB (Linux, local servers only). */
  readonly rssMiB: number | undefined;
  readonly turns: number;
  readonly runningTurns: number;
  /** When its last turn ended (ms since the epoch), or undefined. */
  readonly lastTurnAt: number | undefined;
  readonly starts: number;
  /** Unexpected exits and failed starts. */
  readonly unexpectedExits: number;
  /** Servers stopped because opencode kept leaving the agent's turns unanswered (`wedged`). */
  readonly wedgedStops: number;
  readonly lastExit: string | undefined;
}

export interface PoolStats {
  readonly agents: readonly AgentStats[];
  /** Servers holding a slot (starting, idle, busy, stopping). */
  readonly servers: number;
  readonly busy: number;
  readonly failing: number;
  /** Turns waiting for a slot. */
  readonly queued: number;
  readonly evictions: number;
  readonly turns: number;
  /** The sum of the servers' RSS in MiB (Linux, local servers only). */
  readonly totalRssMiB: number;
}

export async function collectStats(
  records: readonly AgentRecord[],
  totals: { readonly queued: number; readonly evictions: number },
): Promise<PoolStats> {
  const pids = records.flatMap((record) =>
    record.server?.pid === undefined ? [] : [record.server.pid],
  );
  const rss = process.platform === "linux" ? await treeRssMiB(pids) : new Map<number, number>();
  const agents = records.map((record): AgentStats => {
    const pid = record.server?.pid;
    return {
      agentId: record.agentId,
      state: record.phase,
      pid,
      rssMiB: pid === undefined ? undefined : rss.get(pid),
      turns: record.turns,
      runningTurns: record.runningTurns,
      lastTurnAt: record.turns > 0 ? record.lastTurnAt : undefined,
      starts: record.starts,
      unexpectedExits: record.unexpectedExits,
      wedgedStops: record.wedgedStops,
      lastExit: record.lastExit,
    };
  });
  const count = (...phases: AgentPhase[]): number =>
    agents.filter((agent) => phases.includes(agent.state)).length;
  return {
    agents,
    servers: count("starting", "idle", "busy", "stopping"),
    busy: count("busy"),
    failing: count("failing"),
    queued: totals.queued,
    evictions: totals.evictions,
    turns: agents.reduce((sum, agent) => sum + agent.turns, 0),
    totalRssMiB: agents.reduce((sum, agent) => sum + (agent.rssMiB ?? 0), 0),
  };
}
