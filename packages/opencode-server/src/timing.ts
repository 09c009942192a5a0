import { delay } from "@taos/internal";

/** The readiness poll's waits: starts small (a ready server answers at once), doubles, capped. */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
}

export const READINESS_BACKOFF: Backoff = { initialMs: 5, maxMs: 250, factor: 2 };

/** The successive waits of a backoff, endless. */
export function* backoffDelays(backoff: Backoff = READINESS_BACKOFF): Generator<number, never> {
  let next = backoff.initialMs;
  for (;;) {
    yield next;
    next = Math.min(next * backoff.factor, backoff.maxMs);
  }
}

/** True when `promise` settles within `ms`, false otherwise; the timer is cleared either way. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const controller = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      delay(ms, controller.signal).then(
        () => false,
        () => false,
      ),
    ]);
  } finally {
    controller.abort();
  }
}
