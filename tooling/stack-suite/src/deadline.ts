/** Thrown when something the suite waits on does not settle within its deadline. */
export class DeadlineExceededError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not end within ${ms} ms`);
    this.name = "DeadlineExceededError";
  }
}

/**
 * `promise`, or a `DeadlineExceededError` once `ms` have passed: the suite's liveness
 * check ("every turn ends within its deadline"), not a speed measurement.
 */
export async function withinDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every `everyMs` until it holds or `ms` pass; resolves whether it held. */
export async function eventually(check: () => boolean, ms: number, everyMs = 20): Promise<boolean> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() >= end) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return true;
}
