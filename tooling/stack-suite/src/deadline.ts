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

/** The tests' one polling helper. */
export { eventually } from "@taos/testkit";
