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

/**
 * An AbortController that also aborts when any of `parents` does, or after
 * `timeoutMs` (with the reason `onTimeout()` builds). `dispose()` clears the
 * timer and detaches from the parents; call it when done.
 */
export function linkedController(
  parents: readonly (AbortSignal | undefined)[],
  timeout?: { readonly ms: number; readonly reason: () => unknown },
): { readonly controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  const detach: (() => void)[] = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = (): void => controller.abort(parent.reason);
    parent.addEventListener("abort", onAbort, { once: true });
    detach.push(() => parent.removeEventListener("abort", onAbort));
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (timeout && !controller.signal.aborted) {
    timer = setTimeout(() => controller.abort(timeout.reason()), Math.max(0, timeout.ms));
  }
  return {
    controller,
    dispose(): void {
      if (timer !== undefined) clearTimeout(timer);
      for (const undo of detach) undo();
    },
  };
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
