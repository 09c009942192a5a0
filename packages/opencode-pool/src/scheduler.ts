import type { AgentRecord } from "./agent.js";
import type { ResolvedPoolOptions } from "./options.js";
import { holdsSlot } from "./phase.js";
import type { WaitQueue } from "./queue.js";
import { treeRssMiB } from "./rss.js";
import {
  decideAdmission,
  pickNext,
  recentTurns,
  type SlotView,
  type StopReason,
} from "./schedule.js";

/**
 * Hands out server slots to the queued turns: the first whose agent needs no launch
 * looks again, the head gets a slot (the agent goes `starting`) when the admission rule
 * allows one, or an idle server is stopped to make room. One pass at a time; a change
 * during a pass asks for another.
 */
export class SlotScheduler {
  readonly #options: ResolvedPoolOptions;
  readonly #agents: ReadonlyMap<string, AgentRecord>;
  readonly #queue: WaitQueue;
  readonly #stop: (record: AgentRecord, reason: StopReason) => Promise<void>;
  /** The pool's turn counter, for `recentTurns`. */
  readonly #turnSeq: () => number;
  #pumping = false;
  #pumpAgain = false;

  constructor(
    options: ResolvedPoolOptions,
    agents: ReadonlyMap<string, AgentRecord>,
    queue: WaitQueue,
    stop: (record: AgentRecord, reason: StopReason) => Promise<void>,
    turnSeq: () => number,
  ) {
    this.#options = options;
    this.#agents = agents;
    this.#queue = queue;
    this.#stop = stop;
    this.#turnSeq = turnSeq;
  }

  /** Serves the queue: frees waiters whose agent changed, starts or evicts for the head. */
  pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#drain().finally(() => {
      this.#pumping = false;
      // A change that came after the last pass but before this callback.
      if (this.#pumpAgain) this.pump();
    });
  }

  async #drain(): Promise<void> {
    do {
      this.#pumpAgain = false;
      while (this.#queue.length > 0) {
        const rss = await this.#slotRss();
        const waiters = this.#queue.list();
        const next = pickNext(waiters, (id) => this.#agents.get(id)?.phase === "stopped");
        const waiter = next === undefined ? undefined : waiters[next.index];
        if (next === undefined || waiter === undefined) break;
        if (!next.needsSlot) {
          waiter.settle("retry");
          continue;
        }
        const decision = decideAdmission(this.#slotViews(rss), {
          maxServers: this.#options.maxServers,
          maxStarting: this.#options.maxConcurrentStarts,
          startEstimateMiB: this.#options.serverEstimateMiB,
          ...(this.#options.memoryBudgetMiB === undefined
            ? {}
            : { memoryBudgetMiB: this.#options.memoryBudgetMiB }),
        });
        if (decision.kind === "wait") break;
        if (decision.kind === "evict") {
          const victim = this.#agents.get(decision.agentId);
          if (victim) void this.#stop(victim, decision.reason);
          break;
        }
        this.#agents.get(waiter.agentId)?.transition("launch");
        waiter.settle("launch");
      }
    } while (this.#pumpAgain);
  }

  /** The servers holding a slot, as the admission rule sees them. */
  #slotViews(rss: ReadonlyMap<number, number>): SlotView[] {
    const turnSeq = this.#turnSeq();
    return [...this.#agents.values()]
      .filter((record) => holdsSlot(record.phase))
      .map((record) => ({
        agentId: record.agentId,
        phase: record.phase,
        lastUseSeq: record.lastUseSeq,
        recentTurns: recentTurns(record.turnSeqs, turnSeq, this.#options.maxServers),
        ...(record.server?.pid !== undefined && rss.has(record.server.pid)
          ? { rssMiB: rss.get(record.server.pid) as number }
          : {}),
      }));
  }

  async #slotRss(): Promise<Map<number, number>> {
    if (this.#options.memoryBudgetMiB === undefined) return new Map();
    const pids: number[] = [];
    for (const record of this.#agents.values())
      if (record.server?.pid !== undefined) pids.push(record.server.pid);
    return treeRssMiB(pids);
  }
}
