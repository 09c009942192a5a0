/** Pure scheduling rules of the pool: which server goes, who is next, when to retry. */

/** What the rules need to know of a server holding a slot. */
export interface SlotView {
  readonly agentId: string;
  /** Only `idle` servers may be stopped to make room. */
  readonly phase: string;
  /** The pool's use counter at its last use (a turn ended, it became ready): the smallest is the least recently used. */
  readonly lastUseSeq: number;
  /** Its process tree's RSS in MiB, when known. */
  readonly rssMiB?: number;
  /**
   * Its agent's turns among the pool's recent ones (see `recentTurns`): servers of
   * agents that talk less are stopped first. Omitted: 0.
   */
  readonly recentTurns?: number;
}

export interface AdmissionLimits {
  readonly maxServers: number;
  /** Servers in `starting` at most; another start waits until one is ready. @default no limit */
  readonly maxStarting?: number;
  readonly memoryBudgetMiB?: number;
  /** What a new server is expected to add (MiB) before it is measured. */
  readonly startEstimateMiB: number;
}

export type StopReason =
  | "idle"
  | "evicted"
  | "budget"
  | "updated"
  | "unregistered"
  | "shutdown"
  /** Its turns kept ending with no answer from opencode: stopped so that the next turn starts it fresh. */
  | "wedged"
  /** Held stopped while `exportAgent` copied its home. */
  | "exported";

export type Admission =
  | { readonly kind: "start" }
  | { readonly kind: "evict"; readonly agentId: string; readonly reason: "evicted" | "budget" }
  | { readonly kind: "wait" };

/** How many of the pool's last turns `recentTurns` looks at, per server of `maxServers`. */
export const RECENT_TURNS_PER_SERVER = 8;

/**
 * How many of an agent's turns are among the pool's last `8 × maxServers` turns.
 * `turnSeqs`: the pool's turn counter at the end of each of the agent's turns, oldest
 * first; `turnSeq`: the counter now. Plain LRU lets a long tail of agents that each
 * talk once push out the few that talk all the time. On the pool bench's workload (a
 * few hot agents, a long tail, 4 turns at a time on 6 servers), simulated with this
 * rule (`bench/eviction.bench.ts`): 103 starts for LRU, 94 for "its turn before last
 * was among the last 4 × maxServers turns" (the rule before this one), 84 for this count.
 */
export function recentTurns(
  turnSeqs: readonly number[],
  turnSeq: number,
  maxServers: number,
): number {
  const window = RECENT_TURNS_PER_SERVER * maxServers;
  let count = 0;
  for (const seq of turnSeqs) if (seq > 0 && turnSeq - seq < window) count += 1;
  return count;
}

/**
 * The idle server to stop first, or undefined when none is idle: the one whose agent
 * had the fewest recent turns (`recentTurns`), the least recently used among equals.
 */
export function chooseEviction(slots: readonly SlotView[]): string | undefined {
  let victim: SlotView | undefined;
  for (const slot of slots) {
    if (slot.phase !== "idle") continue;
    if (victim === undefined || evictsBefore(slot, victim)) victim = slot;
  }
  return victim?.agentId;
}

function evictsBefore(slot: SlotView, other: SlotView): boolean {
  const [mine, theirs] = [slot.recentTurns ?? 0, other.recentTurns ?? 0];
  if (mine !== theirs) return mine < theirs;
  return slot.lastUseSeq < other.lastUseSeq;
}

/**
 * May one more server start now? If not, which idle server to stop first, or
 * wait (also while `maxStarting` servers are starting). With no server running a start is always allowed, so a budget smaller
 * than one server cannot block every turn.
 */
export function decideAdmission(slots: readonly SlotView[], limits: AdmissionLimits): Admission {
  // Starts that share the cores all finish late: the next one waits for a ready server.
  if (limits.maxStarting !== undefined) {
    const starting = slots.filter((slot) => slot.phase === "starting").length;
    if (starting >= limits.maxStarting) return { kind: "wait" };
  }
  const full = slots.length >= limits.maxServers;
  let overBudget = false;
  if (limits.memoryBudgetMiB !== undefined && slots.length > 0) {
    const used = slots.reduce((sum, slot) => sum + (slot.rssMiB ?? limits.startEstimateMiB), 0);
    overBudget = used + limits.startEstimateMiB > limits.memoryBudgetMiB;
  }
  if (!full && !overBudget) return { kind: "start" };
  // A slot is being freed already: evicting another could stop more than the queue needs.
  if (slots.some((slot) => slot.phase === "stopping")) return { kind: "wait" };
  const victim = chooseEviction(slots);
  if (victim === undefined) return { kind: "wait" };
  return { kind: "evict", agentId: victim, reason: full ? "evicted" : "budget" };
}

/**
 * Which queued turn goes next: the first whose agent needs no launch (it has a
 * server, or is failing or gone: it looks again and takes no slot, so serving it
 * first is no unfairness), else the head, which needs a slot to launch.
 */
export function pickNext(
  queue: readonly { readonly agentId: string }[],
  needsLaunch: (agentId: string) => boolean,
): { readonly index: number; readonly needsSlot: boolean } | undefined {
  if (queue.length === 0) return undefined;
  const ready = queue.findIndex((waiter) => !needsLaunch(waiter.agentId));
  if (ready !== -1) return { index: ready, needsSlot: false };
  return { index: 0, needsSlot: true };
}

export interface RestartPolicy {
  /** This many unexpected exits (or failed starts) within `windowMs` mark the agent failing. @default 5 */
  readonly maxExits: number;
  /** @default 60000 */
  readonly windowMs: number;
  /** The wait before the first retry; doubled for each further recent exit. @default 500 */
  readonly initialDelayMs: number;
  /** @default 10000 */
  readonly maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxExits: 5,
  windowMs: 60_000,
  initialDelayMs: 500,
  maxDelayMs: 10_000,
};

export type RestartDecision =
  | { readonly kind: "retry"; readonly delayMs: number }
  | { readonly kind: "failing" };

/** After an exit at `now` (already in `exitTimes`): how long until the next start, or give up. */
export function decideRestart(
  exitTimes: readonly number[],
  now: number,
  policy: RestartPolicy,
): RestartDecision {
  const recent = exitTimes.filter((at) => now - at < policy.windowMs).length;
  if (recent >= policy.maxExits) return { kind: "failing" };
  if (recent === 0) return { kind: "retry", delayMs: 0 };
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (recent - 1));
  return { kind: "retry", delayMs };
}

/** The directories (other than the agent's cwd) unused for `idleMs` at `now`. */
export function staleDirectories(
  lastUsed: ReadonlyMap<string, number>,
  now: number,
  idleMs: number,
): string[] {
  const stale: string[] = [];
  for (const [directory, at] of lastUsed) if (now - at >= idleMs) stale.push(directory);
  return stale;
}
