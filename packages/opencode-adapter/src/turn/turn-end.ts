/**
 * How an idle session ends the turn. The rules are pure; an empty turn's cause is
 * read from its last message (opencode sometimes fails without `session.error`, and a
 * broken opencode goes idle without answering at all).
 */
import type { OpenCodeLogger } from "@taos/internal";
import { errorField } from "../client/logger.js";
import type { TurnFailure, TurnState } from "../codec-book.js";
import { ReplyErrorCode } from "../error-codes.js";
import { type LastAnswer, lastAnswer, type RecoveryContext } from "./recovery.js";

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

/** The failure of a turn that opencode went idle on without any answer message. */
export const NO_ANSWER: TurnFailure = {
  error: "opencode accepted the prompt but produced no answer",
  code: ReplyErrorCode.NoAnswer,
};

/** What ends an empty turn: a failure, or completion (an answer message with no text). */
export type EmptyTurnEnding =
  | { readonly kind: "failed"; readonly failure: TurnFailure }
  | { readonly kind: "emptyAnswer" };

/**
 * The ending of an empty turn, from its stored last answer (`undefined` when it could not
 * be read) and whether the live stream showed an answer message of this turn. Pure.
 */
export function emptyTurnEnding(
  stored: LastAnswer | undefined,
  answerSeen: boolean,
): EmptyTurnEnding {
  if (stored?.found === true) {
    return stored.failure === undefined
      ? { kind: "emptyAnswer" }
      : { kind: "failed", failure: stored.failure };
  }
  // The stream showed an answer message of this turn: opencode answered, with nothing.
  if (answerSeen) return { kind: "emptyAnswer" };
  // Neither the stream nor opencode's store has one: never a silent success.
  return { kind: "failed", failure: NO_ANSWER };
}

/** Reads the turn's last answer and decides how the empty turn ends (logged at warn either way). */
export async function endEmptyTurn(
  context: RecoveryContext,
  logger: OpenCodeLogger,
  sessionId: string,
): Promise<EmptyTurnEnding> {
  let stored: LastAnswer | undefined;
  try {
    stored = await lastAnswer(context);
  } catch (error) {
    logger.warn(
      { sessionId, err: errorField(error) },
      "could not read the last message after an empty turn",
    );
  }
  const ending = emptyTurnEnding(stored, context.messages().assistants.size > 0);
  if (ending.kind === "emptyAnswer") {
    logger.warn({ sessionId }, "opencode finished the turn with an empty answer");
  } else if (ending.failure === NO_ANSWER) {
    logger.warn({ sessionId }, "opencode went idle without answering the prompt");
  }
  return ending;
}
