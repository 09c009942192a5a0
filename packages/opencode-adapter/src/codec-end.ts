/** How a turn ends in the codec: its one `final` or `error`, and which events end it. */

import { isRecord } from "@taos/internal";
import type { InternalState, TurnFailure, TurnState } from "./codec-book.js";
import { isStateUsable } from "./codec-book.js";
import { OpenCodeEventType } from "./events.js";
import type { Reply, ReplyUsage, TurnUsage } from "./reply.js";

/**
 * Ends the turn once: `final` (whole text, usage) on success, `error` on a
 * failure (status "aborted" when `failure.aborted`). [] when already done.
 */
export function finishTurn(state: TurnState, failure?: TurnFailure): Reply[] {
  try {
    if (!isStateUsable(state)) return [];
    state.done = true;
    if (failure !== undefined) return [errorReply(state, failure)];
    state.status = "completed";
    const { usage, structured } = state;
    const reply: Reply = {
      kind: "final",
      trace_id: state.traceId,
      content: state.text,
      ...(usage === undefined ? {} : { usage: toReplyUsage(usage) }),
      ...(structured === undefined ? {} : { structured }),
    };
    return [reply];
  } catch {
    return [];
  }
}

function errorReply(state: InternalState, failure: TurnFailure): Reply {
  state.status = failure.aborted === true ? "aborted" : "error";
  const error =
    typeof failure.error === "string" && failure.error !== "" ? failure.error : "turn failed";
  state.error = error;
  if (failure.code !== undefined) state.code = failure.code;
  if (failure.opencodeError !== undefined) state.opencodeError = failure.opencodeError;
  if (failure.opencodeRef !== undefined) state.opencodeRef = failure.opencodeRef;
  return {
    kind: "error",
    trace_id: state.traceId,
    error,
    ...(failure.code === undefined ? {} : { code: failure.code }),
    ...(failure.opencodeError === undefined ? {} : { opencode_error: failure.opencodeError }),
    ...(failure.opencodeRef === undefined ? {} : { opencode_ref: failure.opencodeRef }),
    ...(failure.structured === undefined ? {} : { structured: failure.structured }),
  };
}

/**
 * True when this event ends the turn of `sessionId`: `session.status` idle,
 * `session.idle` or a `session.error` naming it. Never throws.
 */
export function isTurnEndEvent(event: unknown, sessionId: string): boolean {
  try {
    if (!isRecord(event)) return false;
    const properties = event.properties;
    if (!isRecord(properties) || properties.sessionID !== sessionId) return false;
    switch (event.type) {
      case OpenCodeEventType.SessionIdle:
      case OpenCodeEventType.SessionError:
        return true;
      case OpenCodeEventType.SessionStatus:
        return isRecord(properties.status) && properties.status.type === "idle";
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function toReplyUsage(usage: TurnUsage): ReplyUsage {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    reasoning_tokens: usage.reasoningTokens,
    cache_read_tokens: usage.cacheReadTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    cost: usage.cost,
  };
}
