/**
 * The pure codec from opencode events to taOS replies: no I/O, never throws.
 * One `TurnState` follows one turn of one session; feed it every event of the
 * stream (other sessions' events are ignored) until `state.done`.
 */

import { isRecord } from "@taos/internal";
import type { InternalState, TurnFailure, TurnState } from "./codec-book.js";
import { bookOf, isStateUsable } from "./codec-book.js";
import { deltaReply, onMessage, onPart } from "./codec-parts.js";
import { eventSessionId, OpenCodeEventType } from "./events.js";
import { failureOf } from "./failure.js";
import { DELTA_LINE, type Frame, readFrame, readHead } from "./frame.js";
import type { Reply, ReplyUsage, TurnUsage } from "./reply.js";

export type { TurnFailure, TurnState, TurnStateOptions } from "./codec-book.js";
export { createTurnState } from "./codec-book.js";

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
    case OpenCodeEventType.MessagePartUpdated:
      return onPart(properties.part, state);
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

function onIdle(state: InternalState): Reply[] {
  // A turn that failed without session.error still left info.error on its message.
  return finishTurn(state, bookOf(state).messageError);
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

const USER_INFO = /,"info":\{(?:"id":"[^"\\\u0000-\u001f]*",)?"role":"user"/y;
const INFO_ID = /,"info":\{"id":"([^"\\\u0000-\u001f]*)"/y;
const BUSY_REST = ',"status":{"type":"busy"}}}';

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
