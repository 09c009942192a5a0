/** How the codec reads messages and the parts other than text: tools and usage. */

import { isRecord } from "@taos/internal";
import type { InternalState, StepUsage } from "./codec-book.js";
import { bookOf, isSummaryMessage } from "./codec-book.js";
import { failureOf } from "./failure.js";
import type { Reply } from "./reply.js";

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

/** A part other than text or reasoning (those are `onTextPart`'s, in the codec). */
export function onPart(part: Record<string, unknown>, state: InternalState): Reply[] {
  switch (part.type) {
    case "tool":
      return onToolPart(part, state);
    case "step-finish":
      onStepFinish(part, state);
      return [];
    default:
      return [];
  }
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
