/**
 * One frame per event: the event stream's bytes read into frames (`readFrames`), each
 * event's head read once, from the raw `data` line, without `JSON.parse`. Routing,
 * ownership and the codec all read the frame; the full parse happens at most once, on
 * demand. To teach the adapter a new event type, add it to
 * `OpenCodeEventType` (events.ts) and to the codec; the frame reader needs nothing more
 * unless the new type's routing fields are not `properties.sessionID`.
 */
import { isRecord } from "@taos/internal";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { eventSessionId } from "./events.js";

/** One event of the stream, read once. */
export interface Frame {
  readonly type: string;
  /** `properties.sessionID`, else the `sessionID` of its `part` or `info` (needs a parse). */
  readonly sessionId: string | undefined;
  /** For `message.part.delta`: the message and part it grows. */
  readonly messageId: string | undefined;
  readonly partId: string | undefined;
  /** For `message.part.delta`: the field that grows ("text" or "reasoning"). */
  readonly field: string | undefined;
  /** The event's JSON (`{id, type, properties}`); undefined when the frame came from an object. */
  readonly data: string | undefined;
  /** Where the delta's JSON string starts in `data` (fast path); -1 when unknown. */
  readonly deltaAt: number;
  /** Where the head read ended in `data`; -1 when the head was not laid out as opencode writes it. */
  readonly headEnd: number;
  /** The parsed event, parsed once on first use; undefined for malformed JSON. */
  parse(): unknown;
}

// opencode writes `{"id":"evt_…","type":"…","properties":{"sessionID":"…",…`. Strings
// with a quote, backslash or control character do not match and take the slow path.
const HEADER =
  /^\{"id":"[^"\\\u0000-\u001f]*","type":"([^"\\\u0000-\u001f]*)","properties":\{(?:"sessionID":"([^"\\\u0000-\u001f]*)")?/;
const DELTA_REST =
  /,"messageID":"([^"\\\u0000-\u001f]*)","partID":"([^"\\\u0000-\u001f]*)","field":"([^"\\\u0000-\u001f]*)","delta":/y;

class LazyFrame implements Frame {
  private parsed: unknown;
  private parsedYet: boolean;

  constructor(
    readonly type: string,
    readonly sessionId: string | undefined,
    readonly data: string | undefined,
    readonly headEnd: number,
    readonly messageId: string | undefined = undefined,
    readonly partId: string | undefined = undefined,
    readonly field: string | undefined = undefined,
    readonly deltaAt: number = -1,
    parsed?: unknown,
  ) {
    this.parsed = parsed;
    this.parsedYet = data === undefined;
  }

  parse(): unknown {
    if (!this.parsedYet) {
      this.parsedYet = true;
      try {
        this.parsed = JSON.parse(this.data as string);
      } catch {
        this.parsed = undefined;
      }
    }
    return this.parsed;
  }
}

/**
 * Reads the frame of one raw event. Undefined for malformed JSON or an event with no
 * type. A head laid out as opencode writes it is read by one regular expression (and,
 * for a delta, one more anchored at its end); anything else is parsed. Never throws.
 */
export function readFrame(data: string): Frame | undefined {
  if (typeof data !== "string") return undefined;
  return readFrameHead(data) ?? frameOfParsed(data);
}

/**
 * A whole `message.part.delta` line as opencode lays it out, up to the delta's JSON
 * string: session, message, part and field captured. For the codec's raw-line path.
 */
export const DELTA_LINE: RegExp =
  /^\{"id":"[^"\\\u0000-\u001f]*","type":"message\.part\.delta","properties":\{"sessionID":"([^"\\\u0000-\u001f]*)","messageID":"([^"\\\u0000-\u001f]*)","partID":"([^"\\\u0000-\u001f]*)","field":"([^"\\\u0000-\u001f]*)","delta":/;

/** Only the type and session of a raw event's head (routing without a frame); undefined otherwise. */
export function readHead(
  data: string,
): { type: string; sessionId: string | undefined } | undefined {
  const head = HEADER.exec(data);
  return head === null ? undefined : { type: head[1] ?? "", sessionId: head[2] };
}

/** The frame of a raw event whose head is laid out as opencode writes it; undefined otherwise. */
export function readFrameHead(data: string): Frame | undefined {
  const head = HEADER.exec(data);
  if (head === null) return undefined;
  const type = head[1] ?? "";
  const sessionId = head[2];
  const end = head[0].length;
  if (type === "message.part.delta" && sessionId !== undefined) {
    DELTA_REST.lastIndex = end;
    const rest = DELTA_REST.exec(data);
    if (rest !== null && data.endsWith("}}")) {
      return new LazyFrame(
        type,
        sessionId,
        data,
        end,
        rest[1],
        rest[2],
        rest[3],
        DELTA_REST.lastIndex,
      );
    }
  }
  return new LazyFrame(type, sessionId, data, end);
}

function frameOfParsed(data: string): Frame | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  return frameOf(parsed);
}

/** The frame of an already parsed event; undefined when it has no type. Never throws. */
export function frameOf(event: unknown): Frame | undefined {
  if (!isRecord(event) || typeof event.type !== "string") return undefined;
  const properties = isRecord(event.properties) ? event.properties : undefined;
  const messageId =
    event.type === "message.part.delta" && typeof properties?.messageID === "string"
      ? properties.messageID
      : undefined;
  const partId =
    event.type === "message.part.delta" && typeof properties?.partID === "string"
      ? properties.partID
      : undefined;
  const field = typeof properties?.field === "string" ? properties.field : undefined;
  return new LazyFrame(
    event.type,
    eventSessionId(event),
    undefined,
    -1,
    messageId,
    partId,
    field,
    -1,
    event,
  );
}

// The wrapper opencode writes around each event, payload last:
// {"directory":"…","project":"…","payload":{…}}; anything else is parsed in full.
const WRAPPER = /^\{(?:"(?:directory|project|workspace)":"(?:[^"\\]|\\.)*",)*"payload":/;
const SYNC_PREFIX = '{"type":"sync"';

/**
 * The one frame of a `/global/event` line: the wrapper `{directory, project, payload}`
 * is cut off by position and the payload's head read once; anything not laid out that
 * way is parsed. Undefined for a line to skip (not JSON, no type, `sync`).
 */
export function readGlobalFrame(data: string): Frame | undefined {
  const wrapper = WRAPPER.exec(data);
  if (wrapper !== null && data.endsWith("}}")) {
    const payload = data.slice(wrapper[0].length, -1);
    if (payload.startsWith(SYNC_PREFIX)) return undefined;
    const frame = readFrameHead(payload);
    if (frame !== undefined) return frame;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return undefined;
  }
  const payload = isRecord(parsed) && isRecord(parsed.payload) ? parsed.payload : parsed;
  if (!isRecord(payload) || payload.type === "sync") return undefined;
  return frameOf(payload);
}

/**
 * The frames of a `/global/event` body, in the order opencode wrote them: undici's body,
 * `TextDecoderStream`, `eventsource-parser`'s `EventSourceParserStream`, then each
 * message's `data` read into its frame. A line that is not an event is skipped
 * (`onSkipped` hears of it). The iteration ends when the body ends and throws when it
 * breaks.
 */
export async function* readFrames(
  body: ReadableStream<Uint8Array>,
  onSkipped: (bytes: number) => void,
): AsyncGenerator<Frame, void> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const frame = readGlobalFrame(value.data);
      if (frame === undefined) onSkipped(value.data.length);
      else yield frame;
    }
  } finally {
    reader.releaseLock();
  }
}
