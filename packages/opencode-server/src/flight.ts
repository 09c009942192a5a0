import { abortable } from "@taos/internal";

/** How long a caller waits, and the error it gets when it gives up. */
export interface WaitDeadline {
  readonly ms: number;
  readonly error: () => unknown;
}

/**
 * One start shared by every caller that asks while it runs (single flight).
 * Each caller waits at most its own deadline or until its own signal aborts;
 * when the last one gives up, the start is abandoned: `onAbandon` runs at
 * once (so a new caller starts afresh), then the start's signal aborts with
 * the last caller's reason, and that caller's promise settles only once the
 * start has settled (its child dead).
 */
export class Flight<T> {
  readonly promise: Promise<T>;
  readonly #controller = new AbortController();
  readonly #onAbandon: () => void;
  #waiters = 0;

  constructor(start: (signal: AbortSignal) => Promise<T>, onAbandon: () => void) {
    this.#onAbandon = onAbandon;
    // Begun on the next microtask: the owner can record the flight before its start runs.
    this.promise = Promise.resolve().then(() => start(this.#controller.signal));
    this.promise.catch(() => {});
  }

  /** Aborts the start with `reason` and resolves once it has settled. */
  async abort(reason: unknown): Promise<void> {
    this.#controller.abort(reason);
    await this.promise.catch(() => {});
  }

  /** Waits for the start; rejects with `signal.reason`, or the deadline's error, when this caller gives up. */
  async join(signal?: AbortSignal, deadline?: WaitDeadline): Promise<T> {
    const timeout = deadline === undefined ? undefined : AbortSignal.timeout(deadline.ms);
    const parts = [signal, timeout].filter((part): part is AbortSignal => part !== undefined);
    const giveUp = parts.length === 0 ? undefined : AbortSignal.any(parts);
    this.#waiters += 1;
    let waiting = true;
    try {
      return await abortable(this.promise, giveUp);
    } catch (error) {
      if (giveUp === undefined || !giveUp.aborted || error !== giveUp.reason) throw error;
      const reason = signal?.aborted ? signal.reason : deadline?.error();
      waiting = false;
      this.#waiters -= 1;
      if (this.#waiters === 0 && !this.#controller.signal.aborted) {
        this.#onAbandon();
        await this.abort(reason);
      }
      throw reason;
    } finally {
      if (waiting) this.#waiters -= 1;
    }
  }
}
