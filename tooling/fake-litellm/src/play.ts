import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { StreamWriter, sendJson } from "./http.js";
import { type MutableRecord, STRUCTURED_TOOL } from "./request.js";
import { misfitOf, sampleOf } from "./schema-sample.js";
import type {
  HangUpScript,
  Script,
  StallScript,
  StructuredScript,
  TextScript,
  ToolCallScript,
} from "./types.js";
import {
  ChunkEncoder,
  completionBody,
  errorBody,
  type ResolvedToolCall,
  splitText,
  usageFor,
  withUsage,
} from "./wire.js";

/** What playing one script needs: the request, where to write, and the tool-call bookkeeping. */
export interface PlayContext {
  readonly record: MutableRecord;
  readonly promptChars: number;
  readonly res: ServerResponse;
  readonly signal: AbortSignal;
  /** Gives each call its id and remembers what answers its result. */
  readonly issue: (script: ToolCallScript) => ResolvedToolCall[];
}

const SKIPPED_TEXT = "I will answer in plain text.";

/** Writes the answer `script` describes. */
export async function play(script: Script, ctx: PlayContext): Promise<void> {
  if ("error" in script) {
    const { status, message, headers } = script.error;
    ctx.record.status = status;
    sendJson(ctx.res, status, errorBody(status, message), headers);
    return;
  }
  ctx.record.status = 200;
  if ("structured" in script) return play(fromStructured(script, ctx.record), ctx);
  if ("toolCalls" in script) return playToolCalls(script, ctx);
  if ("hangUp" in script) return playHangUp(script, ctx);
  if ("stall" in script) return playStall(script, ctx);
  return playText(script, ctx);
}

/** A structured answer is a call of the StructuredOutput tool (or, skipped, plain text). */
export function fromStructured(script: StructuredScript, record: MutableRecord): Script {
  const { value, invalid, skip, text } = script.structured;
  if (skip === true) return { text: text ?? SKIPPED_TEXT };
  const schema = record.structuredSchema ?? {};
  const args = value ?? (invalid === true ? misfitOf(schema) : sampleOf(schema));
  const object = typeof args === "object" && args !== null && !Array.isArray(args);
  const call = {
    name: STRUCTURED_TOOL,
    arguments: object ? (args as Record<string, unknown>) : {},
  };
  return { toolCalls: [call] };
}

async function playToolCalls(script: ToolCallScript, ctx: PlayContext): Promise<void> {
  const { record, res } = ctx;
  const calls = ctx.issue(script);
  const reasoning = script.reasoning;
  const completionChars = calls.reduce(
    (n, c) => n + c.name.length + c.arguments.length,
    (reasoning?.length ?? 0) + (script.text?.length ?? 0),
  );
  const usage = withUsage(usageFor(ctx.promptChars, completionChars), script.usage);
  if (!record.stream) {
    const message = {
      content: script.text ?? null,
      toolCalls: calls,
      ...(reasoning === undefined ? {} : { reasoning }),
    };
    sendJson(res, 200, completionBody(record.model, message, "tool_calls", usage));
    return;
  }
  const enc = new ChunkEncoder(record.model);
  const out = new StreamWriter(res, ctx.signal);
  out.start();
  if (reasoning !== undefined) out.push(enc.reasoning(reasoning));
  if (script.text !== undefined) out.push(enc.content(script.text));
  calls.forEach((call, index) => {
    out.push(enc.toolCallStart(index, call));
    // Two argument deltas, so clients must accumulate them as with a real model.
    const half = Math.floor(call.arguments.length / 2);
    for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
      if (piece !== "") out.push(enc.toolCallArguments(index, piece));
    }
  });
  out.push(enc.finish("tool_calls", usage));
  out.push(ChunkEncoder.done);
  await out.end();
}

async function playHangUp(script: HangUpScript, ctx: PlayContext): Promise<void> {
  const { record, res } = ctx;
  const text = script.hangUp.text ?? record.lastUserText;
  const after = script.hangUp.afterChunks ?? 0;
  if (!record.stream) {
    res.destroy();
    return;
  }
  const enc = new ChunkEncoder(record.model);
  const out = new StreamWriter(res, ctx.signal);
  out.start();
  for (const piece of splitText(text, Math.max(5, after + 1)).slice(0, after)) {
    out.push(enc.content(piece));
  }
  await out.flush(true);
  res.destroy();
}

async function playStall(script: StallScript, ctx: PlayContext): Promise<void> {
  const { record, res, signal } = ctx;
  const { ms } = script.stall;
  const text = script.stall.text ?? record.lastUserText;
  const after = script.stall.afterChunks ?? 0;
  const usage = usageFor(ctx.promptChars, text.length);
  if (!record.stream) {
    await sleep(ms, undefined, { signal });
    sendJson(res, 200, completionBody(record.model, { content: text }, "stop", usage));
    return;
  }
  const enc = new ChunkEncoder(record.model);
  const out = new StreamWriter(res, signal);
  out.start();
  const pieces = splitText(text, Math.max(5, after + 1));
  pieces.forEach((piece, i) => {
    if (i < after) out.push(enc.content(piece));
  });
  await out.flush(true);
  await sleep(ms, undefined, { signal });
  for (const piece of pieces.slice(after)) out.push(enc.content(piece));
  out.push(enc.finish("stop", usage));
  out.push(ChunkEncoder.done);
  await out.end();
}

async function playText(script: TextScript, ctx: PlayContext): Promise<void> {
  const { record, res, signal } = ctx;
  const { text, reasoning } = script;
  const usage = withUsage(
    usageFor(ctx.promptChars, text.length + (reasoning?.length ?? 0)),
    script.usage,
  );
  if (!record.stream) {
    const message = reasoning === undefined ? { content: text } : { content: text, reasoning };
    sendJson(res, 200, completionBody(record.model, message, "stop", usage));
    return;
  }
  const enc = new ChunkEncoder(record.model);
  const out = new StreamWriter(res, signal);
  out.start();
  const delay = script.chunkDelayMs ?? 0;
  const pieces = reasoning === undefined ? [] : splitText(reasoning, script.reasoningChunks ?? 1);
  const contentStart = pieces.length;
  for (const piece of splitText(text, script.chunks ?? 5)) pieces.push(piece);
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] ?? "";
    const chunk = i < contentStart ? enc.reasoning(piece) : enc.content(piece);
    if (delay > 0 && i > 0) {
      await out.flush(true);
      await sleep(delay, undefined, { signal });
    }
    if (!out.push(chunk)) await out.flush(false);
  }
  out.push(enc.finish("stop", usage));
  out.push(ChunkEncoder.done);
  await out.end();
}
