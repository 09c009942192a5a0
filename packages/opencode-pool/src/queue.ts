/** How a queued turn's wait for a server ended. */
export type WaitOutcome =
  /** A slot is reserved for this turn: it launches the agent's server. */
  | "launch"
  /** The agent's state changed (someone else started it, it failed, ...): look again. */
  | "retry"
  | "timeout"
  | "aborted"
  | "closed";

export interface Waiter {
  readonly agentId: string;
  readonly traceId: string;
  settle(outcome: WaitOutcome): void;
}

/** The FIFO of turns waiting for a server slot, each with its own timeout and abort signal. */
export class WaitQueue {
  readonly #waiters: Waiter[] = [];

  get length(): number {
    return this.#waiters.length;
  }

  /** The waiters in arrival order (a snapshot). */
  list(): readonly Waiter[] {
    return [...this.#waiters];
  }

  /** Enqueues a turn; settles with its outcome. `onEnqueued` runs once it is in the queue. */
  wait(
    agentId: string,
    traceId: string,
    timeoutMs: number,
    signal: AbortSignal,
    onEnqueued: (position: number) => void,
  ): Promise<WaitOutcome> {
    if (signal.aborted) return Promise.resolve("aborted");
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => waiter.settle("aborted");
      const waiter: Waiter = {
        agentId,
        traceId,
        settle: (outcome) => {
          const index = this.#waiters.indexOf(waiter);
          if (index === -1) return;
          this.#waiters.splice(index, 1);
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          resolve(outcome);
        },
      };
      this.#waiters.push(waiter);
      timer = setTimeout(() => waiter.settle("timeout"), timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      onEnqueued(this.#waiters.length - 1);
    });
  }

  /** Settles every waiter (of one agent, or all) with `outcome`. */
  settleAll(outcome: WaitOutcome, agentId?: string): void {
    for (const waiter of this.list()) {
      if (agentId === undefined || waiter.agentId === agentId) waiter.settle(outcome);
    }
  }
}
