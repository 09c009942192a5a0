import { abortable } from "@taos/internal";

/**
 * Turns of one session run one after another, whichever adapters send them: opencode
 * answers only the latest of the prompts that reach a busy session together, so an
 * earlier one would end with no answer of its own.
 */
export class SessionTurns {
  /** Per session: settles when its last queued turn has left. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Waits for the session's earlier turns (abortable); resolves with the function that lets the next in. */
  async enter(sessionId: string, signal?: AbortSignal): Promise<() => void> {
    const previous = this.#tails.get(sessionId) ?? Promise.resolve();
    let leave!: () => void;
    const left = new Promise<void>((resolve) => {
      leave = resolve;
    });
    // The next turn waits for this one and for every one before it (a waiter that gave up included).
    const tail = previous.then(() => left);
    this.#tails.set(sessionId, tail);
    void tail.then(() => {
      if (this.#tails.get(sessionId) === tail) this.#tails.delete(sessionId);
    });
    try {
      await abortable(previous, signal);
    } catch (error) {
      leave();
      throw error;
    }
    return leave;
  }
}
