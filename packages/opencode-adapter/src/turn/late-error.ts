/**
 * A `session.error` that comes after the idle. opencode 1.18.33 reports a prompt it
 * failed before answering (a broken server: "All fibers interrupted without error")
 * as idle first and `session.error` a few ms later; the turn, ending as `no_answer`,
 * attaches it when it comes within a short grace.
 */
import { delay } from "@taos/internal";
import type { TurnFailure } from "../codec-book.js";

/** How long a `no_answer` end waits for opencode's late `session.error`. */
export const LATE_ERROR_GRACE_MS = 300;

export class LateSessionError {
  #failure: TurnFailure | undefined;
  readonly #seen = new AbortController();

  /** Keeps the first late error. */
  note(failure: TurnFailure): void {
    if (this.#failure !== undefined) return;
    this.#failure = failure;
    this.#seen.abort();
  }

  /** The late error, waiting up to `ms` for it (less when `signal` aborts). */
  async wait(ms: number, signal: AbortSignal): Promise<TurnFailure | undefined> {
    if (this.#failure === undefined && !signal.aborted) {
      await delay(ms, AbortSignal.any([signal, this.#seen.signal])).catch(() => undefined);
    }
    return this.#failure;
  }
}

/** `no_answer` with opencode's own late error (its name, and its message without the stack). */
export function withLateError(noAnswer: TurnFailure, late: TurnFailure | undefined): TurnFailure {
  if (late === undefined) return noAnswer;
  return {
    ...noAnswer,
    error: `${noAnswer.error} (opencode: ${late.error})`,
    ...(late.opencodeError === undefined ? {} : { opencodeError: late.opencodeError }),
    ...(late.opencodeRef === undefined ? {} : { opencodeRef: late.opencodeRef }),
  };
}
