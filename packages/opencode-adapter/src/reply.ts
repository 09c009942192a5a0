import type { ReplyErrorCode } from "./error-codes.js";

/**
 * The reply wire contract with taOS. Keys are snake_case because these objects
 * are sent as they are; every reply carries the turn's `trace_id`.
 */

/** Token counts and cost of a turn, as opencode reports them (summed over its steps). */
export interface ReplyUsage {
  readonly input_tokens: number;
  readonly output_tokens: number;
  readonly reasoning_tokens: number;
  readonly cache_read_tokens: number;
  readonly cache_write_tokens: number;
  /** In the currency of the model's price list (USD for LiteLLM); 0 when unpriced. */
  readonly cost: number;
}

/** A piece of the assistant's text, in order. */
export interface DeltaReply {
  readonly kind: "delta";
  readonly trace_id: string;
  readonly content: string;
}

/** A piece of the model's reasoning; never part of the final text. */
export interface ReasoningReply {
  readonly kind: "reasoning";
  readonly trace_id: string;
  readonly content: string;
}

/** A tool call, once per call id, when it starts running. */
export interface ToolCallReply {
  readonly kind: "tool_call";
  readonly trace_id: string;
  readonly tool: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly call_id: string;
}

/** The outcome of a tool call, once per call id. */
export interface ToolResultReply {
  readonly kind: "tool_result";
  readonly trace_id: string;
  readonly tool: string;
  /** The tool's output, or its error text when `success` is false. */
  readonly result: string;
  readonly success: boolean;
  readonly call_id: string;
}

/**
 * The end of a successful turn, with the whole text: the text parts in order, distinct
 * parts separated by a blank line (`\n\n`), exactly the concatenated `delta` contents.
 */
export interface FinalReply {
  readonly kind: "final";
  readonly trace_id: string;
  readonly content: string;
  readonly usage?: ReplyUsage;
  /** The structured output, when the prompt asked for one (`format`). */
  readonly structured?: unknown;
}

/** The end of a failed turn. No `final` follows an `error`. */
export interface ErrorReply {
  readonly kind: "error";
  readonly trace_id: string;
  /** A message fit for a user: no stack, no key. */
  readonly error: string;
  /**
   * A stable snake_case code: one of `ReplyErrorCode` (the table in the README). Typed
   * open so that layers above can still pass their own until they move to the table.
   */
  readonly code?: ReplyErrorCode | (string & {});
  /** opencode's own error name (`APIError`, ...), when opencode reported the failure. */
  readonly opencode_error?: string;
  /** opencode's reference of a server error (`err_...`): the line in opencode's log that tells more. */
  readonly opencode_ref?: string;
  /** The structured output that failed its schema (code `structured_output_invalid`). */
  readonly structured?: unknown;
}

export type Reply =
  | DeltaReply
  | ReasoningReply
  | ToolCallReply
  | ToolResultReply
  | FinalReply
  | ErrorReply;

export type ReplyKind = Reply["kind"];

/** Where replies go. An async sink is awaited, in order; one that throws does not break the turn. */
export type Sink = (reply: Reply) => void | Promise<void>;

/** Token counts of a turn, camelCase for TypeScript callers. */
export interface TurnUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly reasoningTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  readonly cost: number;
}

export type TurnStatus = "completed" | "error" | "aborted";

/** How a turn ended. `sessionId` continues the conversation in the next turn. */
export interface TurnResult {
  readonly sessionId: string;
  readonly status: TurnStatus;
  /** The whole assistant text (empty on a failure before any text). */
  readonly text: string;
  readonly usage?: TurnUsage;
  /** The error message when `status` is "error" or "aborted". */
  readonly error?: string;
  /** The error's code, when `status` is "error" or "aborted". */
  readonly code?: ReplyErrorCode;
  /** opencode's own error name, when opencode reported the failure. */
  readonly opencodeError?: string;
  /** opencode's reference of a server error (`err_...`), when opencode gave one. */
  readonly opencodeRef?: string;
  /** The structured output, when the prompt asked for one. */
  readonly structured?: unknown;
}
