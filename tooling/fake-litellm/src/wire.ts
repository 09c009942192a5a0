import { randomUUID } from "node:crypto";
import type { ToolCallSpec, UsageOverride } from "./types.js";

/** OpenAI's usage object. */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export interface ResolvedToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

/** Rough token counts (4 characters a token), enough for opencode's step-finish figures. */
export function usageFor(promptChars: number, completionChars: number): Usage {
  const prompt = Math.ceil(promptChars / 4);
  const completion = Math.ceil(completionChars / 4);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

/** The estimate with a script's override applied; the total follows the parts unless given. */
export function withUsage(estimate: Usage, override: UsageOverride | undefined): Usage {
  if (override === undefined) return estimate;
  const prompt = override.prompt_tokens ?? estimate.prompt_tokens;
  const completion = override.completion_tokens ?? estimate.completion_tokens;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: override.total_tokens ?? prompt + completion,
  };
}

/**
 * Splits `text` into exactly `count` pieces whose concatenation is `text`, in
 * linear time; a boundary never falls inside a surrogate pair. Pieces may be
 * empty when `count` exceeds the length.
 */
export function splitText(text: string, count: number): string[] {
  const n = Math.max(1, Math.floor(count));
  const pieces: string[] = new Array(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    let end = i === n - 1 ? text.length : Math.floor(((i + 1) * text.length) / n);
    if (end < start) end = start;
    const code = text.charCodeAt(end - 1);
    if (end > start && end < text.length && code >= 0xd800 && code <= 0xdbff) end += 1;
    pieces[i] = text.slice(start, end);
    start = end;
  }
  return pieces;
}

export function toolArguments(spec: ToolCallSpec): string {
  return typeof spec.arguments === "string" ? spec.arguments : JSON.stringify(spec.arguments);
}

/**
 * Encodes the `data:` events of one streamed completion. The constant head of
 * every chunk is built once, so a chunk costs one JSON.stringify of its piece.
 */
export class ChunkEncoder {
  readonly id: string = `chatcmpl-${randomUUID()}`;
  private readonly head: string;
  private roleSent = false;

  constructor(model: string) {
    const created = Math.floor(Date.now() / 1000);
    this.head = `data: {"id":"${this.id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  }

  private role(): string {
    if (this.roleSent) return "";
    this.roleSent = true;
    return `"role":"assistant",`;
  }

  content(piece: string): string {
    return `${this.head}{${this.role()}"content":${JSON.stringify(piece)}},"finish_reason":null}]}\n\n`;
  }

  reasoning(piece: string): string {
    return `${this.head}{${this.role()}"reasoning_content":${JSON.stringify(piece)}},"finish_reason":null}]}\n\n`;
  }

  /** The opening delta of tool call `index`: id, name and no arguments yet. */
  toolCallStart(index: number, call: ResolvedToolCall): string {
    const delta = `[{"index":${index},"id":${JSON.stringify(call.id)},"type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":""}}]`;
    return `${this.head}{${this.role()}"content":null,"tool_calls":${delta}},"finish_reason":null}]}\n\n`;
  }

  toolCallArguments(index: number, piece: string): string {
    const delta = `[{"index":${index},"function":{"arguments":${JSON.stringify(piece)}}}]`;
    return `${this.head}{"tool_calls":${delta}},"finish_reason":null}]}\n\n`;
  }

  finish(reason: "stop" | "tool_calls", usage: Usage): string {
    return `${this.head}{},"finish_reason":"${reason}"}],"usage":${JSON.stringify(usage)}}\n\n`;
  }

  static readonly done: string = "data: [DONE]\n\n";
}

/** The body of a non-streamed completion. */
export function completionBody(
  model: string,
  message: {
    readonly content: string | null;
    readonly reasoning?: string;
    readonly toolCalls?: readonly ResolvedToolCall[];
  },
  finishReason: "stop" | "tool_calls",
  usage: Usage,
): unknown {
  const out: Record<string, unknown> = { role: "assistant", content: message.content };
  if (message.reasoning !== undefined) out.reasoning_content = message.reasoning;
  if (message.toolCalls !== undefined) {
    out.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: null,
    choices: [{ index: 0, message: out, finish_reason: finishReason }],
    usage,
  };
}

/** The LiteLLM error body `{ error: { message, type, param, code } }` (code and param as strings, as LiteLLM sends them). */
export function errorBody(status: number, message?: string): unknown {
  return {
    error: {
      message: message ?? defaultErrorMessage(status),
      type: errorType(status),
      param: "None",
      code: String(status),
    },
  };
}

function errorType(status: number): string {
  if (status === 401) return "auth_error";
  if (status === 429) return "throttling_error";
  if (status === 404) return "not_found_error";
  if (status >= 500) return "internal_server_error";
  return "invalid_request_error";
}

function defaultErrorMessage(status: number): string {
  if (status === 401) return "Authentication Error, Invalid proxy server token passed.";
  if (status === 429) return "Rate limit exceeded (scripted by fake-litellm).";
  if (status >= 500) return `Internal server error (scripted by fake-litellm, status ${status}).`;
  return `Error (scripted by fake-litellm, status ${status}).`;
}
