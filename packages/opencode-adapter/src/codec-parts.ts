/** How the codec turns messages and parts into replies: text, reasoning, tools, usage. */

import { isRecord } from "@taos/internal";
import type { InternalState, PartTrack, StepUsage } from "./codec-book.js";
import { bookOf, isSummaryMessage } from "./codec-book.js";
import { failureOf } from "./failure.js";
import type { Reply } from "./reply.js";

/** What goes between two distinct text (or reasoning) parts, in the deltas and the final. */
export const PART_SEPARATOR = "\n\n";

/** An assistant message: known (its parts are output), or excluded when it is a compaction summary. */
export function onMessage(info: unknown, state: InternalState): void {
  if (!isRecord(info) || info.role !== "assistant" || typeof info.id !== "string") return;
  const book = bookOf(state);
  if (isSummaryMessage(info)) {
    book.assistants.set(info.id, "summary");
    return;
  }
  book.assistants.set(info.id, "answer");
  const error = info.error;
  if (isRecord(error)) book.messageError = failureOf(error);
  if (info.structured !== undefined) state.structured = info.structured;
}

/**
 * A piece of a part's text. Trailing whitespace is held back until more text follows
 * (opencode trims a finished part, so it may never be part of the answer); the first
 * piece of a part after an earlier one of its kind opens with a blank line.
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
    track = { reasoning: reasoningField, live: true, excluded: false, sent: "", held: "" };
    book.parts.set(partID, track);
  }
  if (track.excluded) return [];
  track.live = true;
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

export function onPart(part: unknown, state: InternalState): Reply[] {
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

function trackOf(part: Record<string, unknown>, id: string, state: InternalState): PartTrack {
  const book = bookOf(state);
  const reasoning = part.type === "reasoning";
  const messageID = typeof part.messageID === "string" ? part.messageID : undefined;
  const role = messageID === undefined ? undefined : book.assistants.get(messageID);
  const ofAssistant = role === "answer";
  const excluded = part.synthetic === true || part.ignored === true || role === "summary";
  let track = book.parts.get(id);
  if (track === undefined) {
    track = { reasoning, live: ofAssistant, excluded, sent: "", held: "" };
    book.parts.set(id, track);
  } else {
    track.reasoning = reasoning;
    if (ofAssistant) track.live = true;
    if (excluded) track.excluded = true;
  }
  return track;
}

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
    return deltaReply(state, id, text.slice(known.length), reasoning);
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

const USAGE_KEYS = ["input", "output", "reasoning", "cacheRead", "cacheWrite", "cost"] as const;

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
  for (const key of USAGE_KEYS) {
    if (before !== undefined) total[key] -= before[key];
    total[key] += step[key];
  }
  book.steps.set(id, step);
  state.usage = {
    inputTokens: total.input,
    outputTokens: total.output,
    reasoningTokens: total.reasoning,
    cacheReadTokens: total.cacheRead,
    cacheWriteTokens: total.cacheWrite,
    cost: total.cost,
  };
}
