import type { StopReason } from "./schedule.js";

/** The events of a pool, by name. */
export interface PoolEvents {
  /** A server is ready. */
  readonly start: {
    readonly agentId: string;
    readonly pid: number | undefined;
    readonly startMs: number;
  };
  /** A server was stopped by the pool, and why. */
  readonly stop: { readonly agentId: string; readonly reason: StopReason };
  /** A server exited (or failed to start) without being asked; `failing` when the policy gave up. */
  readonly exit: {
    readonly agentId: string;
    readonly description: string;
    readonly failing: boolean;
    readonly retryInMs: number;
  };
  /** A turn waits for a server slot; `position` 0 is the head of the queue. */
  readonly queue: { readonly agentId: string; readonly traceId: string; readonly position: number };
  /** An unused directory's opencode instance was freed. */
  readonly dispose: { readonly agentId: string; readonly directory: string; readonly ok: boolean };
}

export type PoolEventName = keyof PoolEvents;
export type PoolListener<K extends PoolEventName> = (event: PoolEvents[K]) => void;

/** A small typed emitter: a listener that throws is logged, never breaks the pool. */
export class PoolEmitter {
  readonly #listeners = new Map<PoolEventName, Set<(event: never) => void>>();
  readonly #onError: (name: PoolEventName, error: unknown) => void;

  constructor(onError: (name: PoolEventName, error: unknown) => void) {
    this.#onError = onError;
  }

  on<K extends PoolEventName>(name: K, listener: PoolListener<K>): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as (event: never) => void);
    return () => {
      set.delete(listener as (event: never) => void);
    };
  }

  emit<K extends PoolEventName>(name: K, event: PoolEvents[K]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        (listener as PoolListener<K>)(event);
      } catch (error) {
        this.#onError(name, error);
      }
    }
  }
}
