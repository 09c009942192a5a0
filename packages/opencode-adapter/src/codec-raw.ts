/**
 * The codec on raw `data` lines, for a client that reads the stream itself: an event's
 * head read without `JSON.parse`, and text deltas read straight off the line.
 */

import { CODEC_EVENT_TYPES, deltaReply, mapOpenCodeEvent, mapRoutedFrame } from "./codec.js";
import type { TurnState } from "./codec-book.js";
import { isStateUsable } from "./codec-book.js";
import { DELTA_LINE, type Frame, readFrame, readHead } from "./frame.js";
import type { Reply } from "./reply.js";

/** The head of a raw event, read without parsing it. */
export interface EventHeader {
  readonly type: string;
  /** `properties.sessionID` when it is the first key (as opencode writes it); undefined otherwise. */
  readonly sessionId: string | undefined;
}

/**
 * Reads an event's type and session from the head of its `data` string, for
 * routing without `JSON.parse`. Undefined when the head is not laid out as
 * opencode writes it. Never throws.
 */
export function readEventHeader(data: string): EventHeader | undefined {
  return typeof data === "string" ? readHead(data) : undefined;
}

/**
 * `mapOpenCodeEvent` for a frame: the same replies and state, but events that no reply
 * needs (other types, other sessions, repeats) are skipped without `JSON.parse`, and
 * text deltas are read without parsing the whole event. Never throws.
 */
export function mapFrame(frame: Frame, state: TurnState): Reply[] {
  if (frame.sessionId !== undefined) {
    return frame.sessionId === state.sessionId ? mapRoutedFrame(frame, state) : [];
  }
  try {
    return CODEC_EVENT_TYPES.has(frame.type) ? mapOpenCodeEvent(frame.parse(), state) : [];
  } catch {
    return [];
  }
}

/**
 * `mapOpenCodeEvent` for a raw `data` line (see `mapFrame`). Assumes, as opencode
 * does, that no key is repeated in an event. Never throws; malformed JSON maps to [].
 */
export function mapOpenCodeEventData(data: string, state: TurnState): Reply[] {
  if (typeof data !== "string") return [];
  const delta = rawDelta(data, state);
  if (delta !== undefined) return delta;
  const frame = readFrame(data);
  return frame === undefined ? [] : mapFrame(frame, state);
}

/** A text delta of this turn's session read straight off the line; undefined for anything else. */
function rawDelta(data: string, state: TurnState): Reply[] | undefined {
  const head = DELTA_LINE.exec(data);
  if (head === null || !data.endsWith("}}") || !isStateUsable(state)) return undefined;
  if (head[1] !== state.sessionId) return [];
  let delta: unknown;
  try {
    delta = JSON.parse(data.slice(head[0].length, data.length - 2));
  } catch {
    return undefined;
  }
  if (typeof delta !== "string") return undefined;
  if (delta === "") return [];
  return deltaReply(state, head[3] ?? "", delta, head[4] === "reasoning", head[2]);
}
