/**
 * How an idle session ends the turn. The rule is pure; an empty turn's cause is
 * read from its last message (opencode sometimes fails without `session.error`).
 */
import type { OpenCodeLogger } from "@taos/internal";
import { errorField } from "../client/logger.js";
import type { TurnFailure, TurnState } from "../codec-book.js";
import { lastAnswerFailure, type RecoveryContext } from "./recovery.js";

export type IdleEnding =
  /** The turn ends with this failure. */
  | { readonly kind: "fail"; readonly failure: TurnFailure }
  /** The codec ends it on the idle frame: the answer, text or structured. */
  | { readonly kind: "answer" }
  /** No output: the last message says whether it failed. */
  | { readonly kind: "checkLastMessage" };

/**
 * The ending of an idle session. `abortFailure` is set while aborting: opencode
 * aborted during a retry back-off just goes idle (no `session.error`).
 */
export function idleEnding(
  abortFailure: TurnFailure | undefined,
  state: TurnState,
  checkStructured: (value: unknown) => TurnFailure | undefined,
): IdleEnding {
  if (abortFailure !== undefined) return { kind: "fail", failure: abortFailure };
  if (state.structured !== undefined) {
    const invalid = checkStructured(state.structured);
    if (invalid !== undefined) return { kind: "fail", failure: invalid };
  }
  if (state.text !== "" || state.structured !== undefined) return { kind: "answer" };
  return { kind: "checkLastMessage" };
}

/** The failure on the turn's last answer; undefined when none, or when it cannot be read (logged). */
export async function emptyTurnFailure(
  context: RecoveryContext,
  logger: OpenCodeLogger,
  sessionId: string,
): Promise<TurnFailure | undefined> {
  try {
    return await lastAnswerFailure(context);
  } catch (error) {
    logger.warn(
      { sessionId, err: errorField(error) },
      "could not read the last message after an empty turn",
    );
    return undefined;
  }
}
