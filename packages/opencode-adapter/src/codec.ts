/**
 * The pure codec from opencode events to taOS replies: no I/O, never throws.
 * One `TurnState` follows one turn of one session; feed it every event of the
 * stream (other sessions' events are ignored) until `state.done`.
 */
import { eventSessionId, OpenCodeEventType } from "./events.js";
import type { Reply, ReplyUsage, TurnUsage } from "./reply.js";

export interface TurnState {
  readonly sessionId: string;
  readonly traceId: string;
  /** The assistant text so far: text parts only, in order; the concatenated deltas unless some were lost. */
  text: string;
  status: "running" | "completed" | "error" | "aborted";
  /** True once the turn has ended (idle or session.error); later events add nothing. */
  done: boolean;
  /** The message when status is "error" or "aborted". */
  error?: string;
  /** Summed over the turn's step-finish parts. */
  usage?: TurnUsage;
}

export interface TurnStateOptions {
  /** Put on every reply as `trace_id`. Default: the session id. */
  readonly traceId?: string;
}

export interface TurnFailure {
  readonly error: string;
  readonly code?: string;
  /** The turn was stopped on purpose: status "aborted" rather than "error". */
  readonly aborted?: boolean;
}

interface PartTrack {
  reasoning: boolean;
  /** Known to be output of the assistant (its message is, or it had deltas). */
  live: boolean;
  /** What has gone out as replies for this part. */
  sent: string;
}

interface StepUsage {
  input: number;
  output: number;
  reasoning: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
}

interface Book {
  readonly assistantMessages: Set<string>;
  readonly parts: Map<string, PartTrack>;
  readonly calls: Set<string>;
  readonly results: Set<string>;
  readonly steps: Map<string, StepUsage>;
  readonly total: StepUsage;
  /** `info.error` of an assistant message, for a turn that goes idle with no session.error. */
  messageError?: TurnFailure;
}

const BOOK: unique symbol = Symbol("taos.opencode.turnBook");

interface InternalState extends TurnState {
  [BOOK]?: Book;
}

function newBook(): Book {
  return {
    assistantMessages: new Set(),
    parts: new Map(),
    calls: new Set(),
    results: new Set(),
    steps: new Map(),
    total: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0, cost: 0 },
  };
}

function bookOf(state: InternalState): Book {
  let book = state[BOOK];
  if (book === undefined) {
    book = newBook();
    Object.defineProperty(state, BOOK, { value: book, enumerable: false });
  }
  return book;
}

/** A new turn of `sessionId`, running, with no text yet. */
export function createTurnState(sessionId: string, options?: TurnStateOptions): TurnState {
  const state: InternalState = {
    sessionId,
    traceId: options?.traceId ?? sessionId,
    text: "",
    status: "running",
    done: false,
  };
  Object.defineProperty(state, BOOK, { value: newBook(), enumerable: false });
  return state;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function isStateUsable(state: unknown): state is InternalState {
  return isRecord(state) && typeof state.sessionId === "string" && state.done !== true;
}

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
  try {
    if (!isStateUsable(state) || !isRecord(event)) return [];
    const type = event.type;
    if (typeof type !== "string" || !CODEC_EVENT_TYPES.has(type)) return [];
    const properties = event.properties;
    if (!isRecord(properties)) return [];
    if (eventSessionId(event) !== state.sessionId) return [];
    switch (type) {
      case OpenCodeEventType.MessagePartDelta:
        return onDelta(properties, state);
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
        // Only an error naming our session: the check above made sure it does.
        return finishTurn(state, failureOf(properties.error));
      default:
        return [];
    }
  } catch {
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
    if (failure !== undefined) {
      state.status = failure.aborted === true ? "aborted" : "error";
      const error =
        typeof failure.error === "string" && failure.error !== "" ? failure.error : "turn failed";
      state.error = error;
      const reply: Reply =
        typeof failure.code === "string"
          ? { kind: "error", trace_id: state.traceId, error, code: failure.code }
          : { kind: "error", trace_id: state.traceId, error };
      return [reply];
    }
    state.status = "completed";
    const usage = state.usage;
    const reply: Reply =
      usage === undefined
        ? { kind: "final", trace_id: state.traceId, content: state.text }
        : {
            kind: "final",
            trace_id: state.traceId,
            content: state.text,
            usage: toReplyUsage(usage),
          };
    return [reply];
  } catch {
    return [];
  }
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

function onMessage(info: unknown, state: InternalState): void {
  if (!isRecord(info) || info.role !== "assistant" || typeof info.id !== "string") return;
  const book = bookOf(state);
  book.assistantMessages.add(info.id);
  const error = info.error;
  if (isRecord(error)) book.messageError = failureOf(error);
}

function onDelta(properties: Record<string, unknown>, state: InternalState): Reply[] {
  const { partID, delta, field } = properties;
  if (typeof partID !== "string" || typeof delta !== "string" || delta === "") return [];
  return deltaReply(state, partID, delta, field === "reasoning");
}

function deltaReply(
  state: InternalState,
  partID: string,
  delta: string,
  reasoningField: boolean,
): Reply[] {
  const parts = bookOf(state).parts;
  let track = parts.get(partID);
  if (track === undefined) {
    // Only assistant parts stream; a reasoning part names its field "text" too,
    // so its kind comes from the part.updated that opened it.
    track = { reasoning: reasoningField, live: true, sent: "" };
    parts.set(partID, track);
  }
  track.live = true;
  track.sent += delta;
  if (track.reasoning) return [{ kind: "reasoning", trace_id: state.traceId, content: delta }];
  state.text += delta;
  return [{ kind: "delta", trace_id: state.traceId, content: delta }];
}

function onPart(part: unknown, state: InternalState): Reply[] {
  if (!isRecord(part)) return [];
  switch (part.type) {
    case "text":
    case "reasoning":
      return onTextPart(part, state);
    case "tool":
      return onToolPart(part, state);
    case "step-finish":
      onStepFinish(part, state);
      return [];
    default:
      return [];
  }
}

function onTextPart(part: Record<string, unknown>, state: InternalState): Reply[] {
  const id = part.id;
  if (typeof id !== "string") return [];
  const book = bookOf(state);
  const reasoning = part.type === "reasoning";
  let track = book.parts.get(id);
  const ofAssistant =
    typeof part.messageID === "string" && book.assistantMessages.has(part.messageID);
  if (track === undefined) {
    track = { reasoning, live: ofAssistant, sent: "" };
    book.parts.set(id, track);
  } else {
    track.reasoning = reasoning;
    if (ofAssistant) track.live = true;
  }
  // The user's own prompt is a text part too: it never echoes back.
  if (!track.live) return [];
  const text = part.text;
  if (typeof text !== "string" || text.length <= track.sent.length) return [];
  // Text that arrived only here (no deltas, or fewer): send what is missing.
  if (text.startsWith(track.sent))
    return deltaReply(state, id, text.slice(track.sent.length), reasoning);
  // What was sent does not lead up to the whole text (deltas were lost): no delta can
  // mend that, but the turn's text, and so its final, takes the whole part.
  track.sent = text;
  if (!reasoning) state.text = textOfParts(book);
  return [];
}

/** The turn's text rebuilt from its text parts, in the order they appeared. */
function textOfParts(book: Book): string {
  let text = "";
  for (const track of book.parts.values()) if (track.live && !track.reasoning) text += track.sent;
  return text;
}

function onToolPart(part: Record<string, unknown>, state: InternalState): Reply[] {
  const toolState = part.state;
  if (!isRecord(toolState)) return [];
  const status = toolState.status;
  if (status !== "running" && status !== "completed" && status !== "error") return [];
  const callId =
    typeof part.callID === "string"
      ? part.callID
      : typeof part.id === "string"
        ? part.id
        : undefined;
  if (callId === undefined) return [];
  const book = bookOf(state);
  if (book.results.has(callId)) return [];
  const tool = typeof part.tool === "string" ? part.tool : "unknown";
  const replies: Reply[] = [];
  if (!book.calls.has(callId)) {
    book.calls.add(callId);
    const input = toolState.input;
    const args = isRecord(input) && !Array.isArray(input) ? input : {};
    replies.push({ kind: "tool_call", trace_id: state.traceId, tool, args, call_id: callId });
  }
  if (status === "completed" || status === "error") {
    book.results.add(callId);
    const success = status === "completed";
    const result = success
      ? textOf(toolState.output, "")
      : textOf(toolState.error, "tool call failed");
    replies.push({
      kind: "tool_result",
      trace_id: state.traceId,
      tool,
      result,
      success,
      call_id: callId,
    });
  }
  return replies;
}

function textOf(value: unknown, fallback: string): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return fallback;
  try {
    return JSON.stringify(value) ?? fallback;
  } catch {
    return fallback;
  }
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;
}

function onStepFinish(part: Record<string, unknown>, state: InternalState): void {
  const id = part.id;
  if (typeof id !== "string") return;
  const tokens = isRecord(part.tokens) ? part.tokens : {};
  const cache = isRecord(tokens.cache) ? tokens.cache : {};
  const step: StepUsage = {
    input: count(tokens.input),
    output: count(tokens.output),
    reasoning: count(tokens.reasoning),
    cacheRead: count(cache.read),
    cacheWrite: count(cache.write),
    cost: count(part.cost),
  };
  const book = bookOf(state);
  const total = book.total;
  // An update of a step replaces what it counted before.
  const before = book.steps.get(id);
  if (before !== undefined) {
    total.input -= before.input;
    total.output -= before.output;
    total.reasoning -= before.reasoning;
    total.cacheRead -= before.cacheRead;
    total.cacheWrite -= before.cacheWrite;
    total.cost -= before.cost;
  }
  book.steps.set(id, step);
  total.input += step.input;
  total.output += step.output;
  total.reasoning += step.reasoning;
  total.cacheRead += step.cacheRead;
  total.cacheWrite += step.cacheWrite;
  total.cost += step.cost;
  state.usage = {
    inputTokens: total.input,
    outputTokens: total.output,
    reasoningTokens: total.reasoning,
    cacheReadTokens: total.cacheRead,
    cacheWriteTokens: total.cacheWrite,
    cost: total.cost,
  };
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

// Keys an upstream might echo back in an error text; the turn's own key is never known here.
const SECRET = /\b(sk-[A-Za-z0-9_-]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{6,})/g;

/** Hides API keys and Bearer tokens that an upstream error text might quote. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET, (match) =>
    match.startsWith("Bearer") ? "Bearer [redacted]" : "sk-[redacted]",
  );
}

// opencode sometimes puts a whole stack into data.message (a late UnknownError, for one).
const STACK = /\n\s*at\s/;

function withoutStack(message: string): string {
  const at = message.search(STACK);
  return at < 0 ? message : message.slice(0, at).trimEnd();
}

/** The user-facing message and code of an opencode error object (`session.error` or `info.error`). */
export function failureOf(error: unknown): TurnFailure {
  if (!isRecord(error)) return { error: "opencode reported an error without details" };
  const name = typeof error.name === "string" && error.name !== "" ? error.name : undefined;
  const data = isRecord(error.data) ? error.data : undefined;
  const fromData = data !== undefined && typeof data.message === "string" ? data.message : "";
  const fromError = typeof error.message === "string" ? error.message : "";
  const message =
    fromData !== ""
      ? fromData
      : fromError !== ""
        ? fromError
        : (name ?? "opencode reported an error");
  const failure: { error: string; code?: string; aborted?: boolean } = {
    error: redactSecrets(withoutStack(message)),
  };
  if (name !== undefined) failure.code = name;
  if (name === "MessageAbortedError") failure.aborted = true;
  return failure;
}

/** The head of a raw event, read without parsing it. */
export interface EventHeader {
  readonly type: string;
  /** `properties.sessionID` when it is the first key (as opencode writes it); undefined otherwise. */
  readonly sessionId: string | undefined;
}

// opencode writes `{"id":"evt_…","type":"…","properties":{"sessionID":"…",…`. Strings
// with a quote, backslash or control character do not match and take the slow path.
const HEADER =
  /^\{"id":"[^"\\\u0000-\u001f]*","type":"([^"\\\u0000-\u001f]*)","properties":\{(?:"sessionID":"([^"\\\u0000-\u001f]*)")?/;
const DELTA_REST =
  /,"messageID":"[^"\\\u0000-\u001f]*","partID":"([^"\\\u0000-\u001f]*)","field":"([^"\\\u0000-\u001f]*)","delta":/y;
const USER_INFO = /,"info":\{(?:"id":"[^"\\\u0000-\u001f]*",)?"role":"user"/y;
const INFO_ID = /,"info":\{"id":"([^"\\\u0000-\u001f]*)"/y;
const BUSY_REST = ',"status":{"type":"busy"}}}';

/**
 * Reads an event's type and session from the head of its `data` string, for
 * routing without `JSON.parse`. Undefined when the head is not laid out as
 * opencode writes it (then parse). Only the head is checked: the rest may
 * still be malformed. Never throws.
 */
export function readEventHeader(data: string): EventHeader | undefined {
  if (typeof data !== "string") return undefined;
  const head = HEADER.exec(data);
  if (head === null) return undefined;
  return { type: head[1] ?? "", sessionId: head[2] };
}

/**
 * `mapOpenCodeEvent` for a raw `data` line: the same replies and state, but
 * events that no reply needs (other types, other sessions, repeats) are
 * skipped without `JSON.parse`, and text deltas are read without parsing the
 * whole event. Assumes, as opencode does, that no key is repeated in an event.
 * Never throws; malformed JSON maps to [].
 */
export function mapOpenCodeEventData(data: string, state: TurnState): Reply[] {
  try {
    if (!isStateUsable(state) || typeof data !== "string") return [];
    const head = HEADER.exec(data);
    if (head !== null) {
      const type = head[1] ?? "";
      if (!CODEC_EVENT_TYPES.has(type)) return [];
      const sessionId = head[2];
      if (sessionId !== undefined) {
        if (sessionId !== state.sessionId) return [];
        const fast = fastPath(type, data, head[0].length, state);
        if (fast !== undefined) return fast;
      }
    }
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return [];
    }
    return mapOpenCodeEvent(event, state);
  } catch {
    return [];
  }
}

/** Replies for an event of our session when its layout allows; undefined means "parse it". */
function fastPath(
  type: string,
  data: string,
  at: number,
  state: InternalState,
): Reply[] | undefined {
  switch (type) {
    case OpenCodeEventType.MessagePartDelta: {
      DELTA_REST.lastIndex = at;
      const rest = DELTA_REST.exec(data);
      if (rest === null || !data.endsWith("}}")) return undefined;
      let delta: unknown;
      try {
        delta = JSON.parse(data.slice(DELTA_REST.lastIndex, data.length - 2));
      } catch {
        return undefined;
      }
      if (typeof delta !== "string") return undefined;
      const partID = rest[1] ?? "";
      if (delta === "") return [];
      return deltaReply(state, partID, delta, rest[2] === "reasoning");
    }
    case OpenCodeEventType.MessageUpdated: {
      // A user message changes nothing; nor does an assistant message already known, unless it has an error.
      USER_INFO.lastIndex = at;
      if (USER_INFO.test(data)) return [];
      INFO_ID.lastIndex = at;
      const id = INFO_ID.exec(data)?.[1];
      if (id !== undefined && bookOf(state).assistantMessages.has(id) && !data.includes('"error"'))
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
