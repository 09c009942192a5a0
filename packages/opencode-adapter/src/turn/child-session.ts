import type { HubListener } from "../client/hub-listener.js";
import type { Frame } from "../frame.js";

/** What a subagent's session tells the turn: its asks, and its own subagents. */
const CHILD_NEWS: ReadonlySet<string> = new Set([
  "permission.asked",
  "question.asked",
  "session.created",
]);

/**
 * The listener of a subagent's session: only its asks and its own subagents reach the
 * turn (`onEvent`). The hub routes by session, so every other frame the turn sees is its
 * own; the turn hears of the stream itself through its own session's listener.
 */
export function childSessionListener(onEvent: (frame: Frame) => void): HubListener {
  return {
    onEvent: (frame) => {
      if (CHILD_NEWS.has(frame.type)) onEvent(frame);
    },
    onDropped: () => undefined,
    onResubscribed: () => undefined,
    onFailure: () => undefined,
  };
}
