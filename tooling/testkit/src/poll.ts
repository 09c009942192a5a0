import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `check` every `everyMs` until it holds or `timeoutMs` pass; resolves whether it
 * held (a last look is taken at the deadline). The one polling helper of the tests.
 */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await sleep(everyMs);
  }
  return check();
}

/** Resolves once `check` holds (see `eventually`); rejects naming `what` when it never does. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<void> {
  if (!(await eventually(check, timeoutMs))) throw new Error(`timed out waiting for ${what}`);
}
