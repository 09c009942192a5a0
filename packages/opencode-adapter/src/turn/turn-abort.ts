/**
 * Ending a turn early: opencode is asked to abort once the prompt POST has settled,
 * and the turn ends here when opencode has not ended it within the grace.
 */
import type { OpenCodeLogger } from "@taos/internal";
import { errorField } from "../client/logger.js";
import type { TurnFailure } from "../codec-book.js";
import { ABORTED, failureOf } from "../failure.js";
import type { Frame } from "../frame.js";
import { propertiesOf } from "./ownership.js";

export interface AbortRequest {
  readonly sessionId: string;
  readonly graceMs: number;
  readonly logger: OpenCodeLogger;
  /** Settles once the prompt POST has (successful or not). */
  afterPrompt(): Promise<void>;
  /** `POST /session/:id/abort`. */
  postAbort(): Promise<unknown>;
  /** Ends the turn here: opencode did not end it within the grace. */
  graceOver(): void;
}

/** Asks opencode to abort the turn; returns the grace timer, to clear once the turn ends. */
export function requestAbort(request: AbortRequest): NodeJS.Timeout {
  const { logger, sessionId, graceMs } = request;
  // opencode may wait for a running tool before it stops; do not wait for it past the grace.
  const timer = setTimeout(() => {
    logger.warn(
      { sessionId, graceMs },
      "opencode did not end the aborted turn in time; ending it here",
    );
    request.graceOver();
  }, graceMs);
  void request
    .afterPrompt()
    .then(() => request.postAbort())
    .catch((error: unknown) => {
      logger.warn({ sessionId, err: errorField(error) }, "POST /session/:id/abort failed");
    });
  return timer;
}

/**
 * How an aborting turn ends on opencode's error (`frame`): its own abort error when
 * it is the user's abort, else the failure the turn was aborted with.
 */
export function abortedBy(abortFailure: TurnFailure, frame: Frame): TurnFailure {
  if (abortFailure !== ABORTED) return abortFailure;
  const failure = failureOf(propertiesOf(frame.parse())?.error);
  return failure.aborted === true ? failure : ABORTED;
}
