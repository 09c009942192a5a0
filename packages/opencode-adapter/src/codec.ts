/**
 * The pure codec from opencode events to taOS replies: no I/O, never throws.
 * One `TurnState` follows one turn of one session; feed it every event of the
 * stream (other sessions' events are ignored) until `state.done`.
 */

import { isRecord } from "@taos/internal";
import type { InternalState, PartTrack, TurnState } from "./codec-book.js";
import { bookOf, isStateUsable } from "./codec-book.js";
import { finishTurn } from "./codec-end.js";
import { onMessage, onPart } from "./codec-parts.js";
import { eventSessionId, OpenCodeEventType } from "./events.js";
import { failureOf } from "./failure.js";
import type { Frame } from "./frame.js";
import type { Reply } from "./reply.js";

export type { TurnFailure, TurnState, TurnStateOptions } from "./codec-book.js";
export { createTurnState } from "./codec-book.js";
export { finishTurn, isTurnEndEvent } from "./codec-end.js";

/** The event types `mapOpenCodeEvent` acts on; every other type maps to []. */
export const CODEC_EVENT_TYPES: ReadonlySet<string> = new Set<string>([
  OpenCodeEventType.SessionStatus,
  OpenCodeEventType.SessionIdle,
  OpenCodeEventType.SessionError,
  OpenCodeEventType.MessageUpdated,
  OpenCodeEventType.MessagePartUpdated,
  OpenCodeEventType.MessagePartDelta,
]);

/**
 * Maps one parsed event to the replies it causes for this turn (often none)
 * and updates `state`. Pure apart from `state`; never throws.
 */
export function mapOpenCodeEvent(event: unknown, state: TurnState): Reply[] {
  return mapEvent(event, state, true);
}

/**
 * `mapOpenCodeEvent`, checking the event's session only when `checkSession` (the hub
 * routed it to this turn's session otherwise). The cheap checks go first.
 */
function mapEvent(event: unknown, state: TurnState, checkSession: boolean): Reply[] {
  try {
    if (!isStateUsable(state) || !isRecord(event)) return [];
    const type = event.type;
    if (typeof type !== "string" || !CODEC_EVENT_TYPES.has(type)) return [];
    const properties = event.properties;
    if (!isRecord(properties)) return [];
    if (checkSession && eventSessionId(event) !== state.sessionId) return [];
    return mapProperties(type, properties, state);
  } catch {
    return [];
  }
}

function mapProperties(
  type: string,
  properties: Record<string, unknown>,
  state: InternalState,
): Reply[] {
  switch (type) {
    case OpenCodeEventType.MessagePartDelta: {
      const { partID, delta, field, messageID } = properties;
      if (typeof partID !== "string" || typeof delta !== "string" || delta === "") return [];
      const message = typeof messageID === "string" ? messageID : undefined;
      return deltaReply(state, partID, delta, field === "reasoning", message);
    }
    case OpenCodeEventType.MessagePartUpdated: {
      const part = properties.part;
      if (!isRecord(part)) return [];
      const text = part.type === "text" || part.type === "reasoning";
      return text ? onTextPart(part, state) : onPart(part, state);
    }
    case OpenCodeEventType.MessageUpdated:
      onMessage(properties.info, state);
      return [];
    case OpenCodeEventType.SessionStatus: {
      const status = properties.status;
      if (isRecord(status) && status.type === "idle") return onIdle(state);
      return [];
    }
    case OpenCodeEventType.SessionIdle:
      return onIdle(state);
    case OpenCodeEventType.SessionError:
      // Only an error naming our session: the caller made sure it does.
      return finishTurn(state, failureOf(properties.error));
    default:
      return [];
  }
}

function onIdle(state: InternalState): Reply[] {
  // A turn that failed without session.error still left info.error on its message.
  return finishTurn(state, bookOf(state).messageError);
}

const USER_INFO = /,"info":\{(?:"id":"[^"\\\u0000-\u001f]*",)?"role":"user"/y;
const INFO_ID = /,"info":\{"id":"([^"\\\u0000-\u001f]*)"/y;
const BUSY_REST = ',"status":{"type":"busy"}}}';

/**
 * `mapFrame` for a frame the hub routed to the turn's session: the session was checked
 * there, once, and is not checked again. Never throws.
 */
export function mapRoutedFrame(frame: Frame, state: TurnState): Reply[] {
  try {
    if (!isStateUsable(state) || !CODEC_EVENT_TYPES.has(frame.type)) return [];
    if (frame.data !== undefined && frame.sessionId !== undefined) {
      const fast = fastPath(frame, frame.data, state);
      if (fast !== undefined) return fast;
    }
    return mapEvent(frame.parse(), state, false);
  } catch {
    return [];
  }
}

/** Replies for an event of our session when its layout allows; undefined means "parse it". */
function fastPath(frame: Frame, data: string, state: InternalState): Reply[] | undefined {
  const at = frame.headEnd;
  switch (frame.type) {
    case OpenCodeEventType.MessagePartDelta: {
      if (frame.deltaAt < 0 || frame.partId === undefined) return undefined;
      let delta: unknown;
      try {
        delta = JSON.parse(data.slice(frame.deltaAt, data.length - 2));
      } catch {
        return undefined;
      }
      if (typeof delta !== "string") return undefined;
      if (delta === "") return [];
      return deltaReply(state, frame.partId, delta, frame.field === "reasoning", frame.messageId);
    }
    case OpenCodeEventType.MessageUpdated: {
      // A user message changes nothing; nor does an assistant message already known, unless it has an error.
      USER_INFO.lastIndex = at;
      if (USER_INFO.test(data)) return [];
      INFO_ID.lastIndex = at;
      const id = INFO_ID.exec(data)?.[1];
      if (
        id !== undefined &&
        bookOf(state).assistants.get(id) === "answer" &&
        !data.includes('"error"') &&
        !data.includes('"structured"')
      )
        return [];
      return undefined;
    }
    case OpenCodeEventType.SessionStatus:
      return data.length === at + BUSY_REST.length && data.startsWith(BUSY_REST, at)
        ? []
        : undefined;
    default:
      return undefined;
  }
}

/** What goes between two distinct text (or reasoning) parts, in the deltas and the final. */
export const PART_SEPARATOR = "\n\n";

/**
 * A `message.part.delta`'s replies: a piece of its part's text, unless the part is
 * excluded or has gaps (`markPartGaps`: its text then comes from whole-part updates).
 */
export function deltaReply(
  state: InternalState,
  partID: string,
  delta: string,
  reasoningField: boolean,
  messageID?: string,
): Reply[] {
  const book = bookOf(state);
  let track = book.parts.get(partID);
  if (track === undefined) {
    if (messageID !== undefined && book.assistants.get(messageID) === "summary") return [];
    // Only assistant parts stream; a reasoning part names its field "text" too,
    // so its kind comes from the part.updated that opened it.
    track = {
      reasoning: reasoningField,
      live: true,
      excluded: false,
      sent: "",
      held: "",
      gap: false,
    };
    book.parts.set(partID, track);
  }
  if (track.excluded || track.gap) return [];
  track.live = true;
  return appendText(state, track, delta);
}

/**
 * A piece of a part's text. Trailing whitespace is held back until more text follows
 * (opencode trims a finished part, so it may never be part of the answer); the first
 * piece of a part after an earlier one of its kind opens with a blank line.
 */
function appendText(state: InternalState, track: PartTrack, delta: string): Reply[] {
  const book = bookOf(state);
  const whole = track.held === "" ? delta : track.held + delta;
  let piece = whole;
  track.held = "";
  // Most pieces end in a visible character: trim only when the last one is whitespace.
  if (mayBeSpace(whole.charCodeAt(whole.length - 1))) {
    piece = whole.trimEnd();
    track.held = whole.slice(piece.length);
  }
  if (piece === "") return [];
  let content = piece;
  if (track.sent === "") {
    const opened = track.reasoning ? book.reasoningOpened : book.textOpened;
    if (opened) content = PART_SEPARATOR + piece;
    if (track.reasoning) book.reasoningOpened = true;
    else book.textOpened = true;
  }
  track.sent += piece;
  if (track.reasoning) return [{ kind: "reasoning", trace_id: state.traceId, content }];
  state.text += content;
  return [{ kind: "delta", trace_id: state.traceId, content }];
}

/** Whitespace as `trimEnd` sees it (ASCII exactly; beyond it, anything that might be). */
function mayBeSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13) || code >= 0xa0;
}

function trackOf(part: Record<string, unknown>, id: string, state: InternalState): PartTrack {
  const book = bookOf(state);
  const reasoning = part.type === "reasoning";
  const messageID = typeof part.messageID === "string" ? part.messageID : undefined;
  const role = messageID === undefined ? undefined : book.assistants.get(messageID);
  const ofAssistant = role === "answer";
  const excluded = part.synthetic === true || part.ignored === true || role === "summary";
  let track = book.parts.get(id);
  if (track === undefined) {
    track = { reasoning, live: ofAssistant, excluded, sent: "", held: "", gap: false };
    book.parts.set(id, track);
  } else {
    track.reasoning = reasoning;
    if (ofAssistant) track.live = true;
    if (excluded) track.excluded = true;
  }
  return track;
}

/** A text or reasoning part, whole: what the deltas did not bring, or the whole text when they had gaps. */
function onTextPart(part: Record<string, unknown>, state: InternalState): Reply[] {
  const id = part.id;
  if (typeof id !== "string") return [];
  const track = trackOf(part, id, state);
  // The user's own prompt is a text part too: it never echoes back.
  if (!track.live || track.excluded) return [];
  const text = part.text;
  if (typeof text !== "string") return [];
  const reasoning = track.reasoning;
  const known = track.sent + track.held;
  // Text that arrived only here (no deltas, or fewer): send what is missing.
  if (text.startsWith(known)) {
    if (text.length === known.length) return [];
    return appendText(state, track, text.slice(known.length));
  }
  if (known.startsWith(text)) {
    // opencode stored the part trimmed: what was held back is dropped. Shorter is stale.
    if (text.length >= track.sent.length) track.held = "";
    return [];
  }
  // A stale update (sent before the deltas that followed it) adds nothing.
  if (text.length <= track.sent.length) return [];
  // What was sent does not lead up to the whole text (deltas were lost): no delta can
  // mend that, but the turn's text, and so its final, takes the whole part.
  track.sent = text.trimEnd();
  track.held = "";
  if (!reasoning) state.text = textOfParts(state);
  return [];
}

/** The turn's text rebuilt from its text parts, in the order they appeared. */
function textOfParts(state: InternalState): string {
  const texts: string[] = [];
  for (const track of bookOf(state).parts.values()) {
    if (track.live && !track.excluded && !track.reasoning && track.sent !== "")
      texts.push(track.sent);
  }
  return texts.join(PART_SEPARATOR);
}
