/** One message of an OpenAI chat-completions request, as the client sent it. */
export interface ChatMessage {
  readonly role: "system" | "user" | "assistant" | "tool" | (string & {});
  readonly content?: string | readonly ChatContentPart[] | null;
  readonly tool_calls?: readonly ChatToolCall[];
  readonly tool_call_id?: string;
  readonly name?: string;
  readonly [key: string]: unknown;
}

/** A part of a multi-part message content (`{type: "text", text}`, `{type: "image_url", ...}`). */
export interface ChatContentPart {
  readonly type: string;
  readonly text?: string;
  readonly [key: string]: unknown;
}

/** A tool call inside an assistant message of a request. */
export interface ChatToolCall {
  readonly id: string;
  readonly type: "function";
  readonly function: { readonly name: string; readonly arguments: string };
}

/** What the stand-in saw of one `POST /v1/chat/completions`. */
export interface RecordedRequest {
  /** The Bearer key sent, or undefined when there was none. */
  readonly key: string | undefined;
  readonly model: string;
  /** `body.stream === true` (OpenAI's default is not streamed). */
  readonly stream: boolean;
  readonly messages: readonly ChatMessage[];
  /** Names of the tools offered (`tools[].function.name`). */
  readonly tools: readonly string[];
  /** The parameters (a JSON schema) of the offered `StructuredOutput` tool; undefined when there is none. */
  readonly structuredSchema: unknown;
  /** The text of the last `user` message (text parts joined with "\n"); "" when none. */
  readonly lastUserText: string;
  /** opencode's title-generation request (system prompt contains "You are a title generator"). */
  readonly isTitleRequest: boolean;
  /** The parsed JSON body, untouched. */
  readonly body: unknown;
  /** The HTTP status the stand-in answered with (200, or the error / 401 status). */
  readonly status: number;
}

/** Chooses a rule: a substring of the last user text, a RegExp tested on it, or a predicate. */
export type Matcher = string | RegExp | ((request: RecordedRequest) => boolean);

/** Streams `text` (after optional `reasoning`) in `chunks` pieces. */
export interface TextScript {
  readonly text: string;
  /** How many content chunks `text` is split into; their concatenation is exactly `text`. Default 5. */
  readonly chunks?: number;
  /** Pause between chunks; 0 (the default) writes them in large batches. */
  readonly chunkDelayMs?: number;
  /** Sent first, as `delta.reasoning_content`. */
  readonly reasoning?: string;
  /** How many chunks `reasoning` is split into. Default 1. */
  readonly reasoningChunks?: number;
  /** Reported instead of the estimated counts (e.g. a large `prompt_tokens` to make opencode compact). */
  readonly usage?: UsageOverride;
}

/**
 * Token counts a script reports instead of the stand-in's estimate (4 characters a
 * token). Fields left out keep the estimate; `total_tokens` defaults to prompt + completion.
 */
export interface UsageOverride {
  readonly prompt_tokens?: number;
  readonly completion_tokens?: number;
  readonly total_tokens?: number;
}

/** A tool the model asks for. */
export interface ToolCallSpec {
  readonly name: string;
  /** An object is sent JSON-encoded; a string is sent as is (even if it is not valid JSON). */
  readonly arguments: Readonly<Record<string, unknown>> | string;
  /** The tool call id; default `call_<n>`, unique per stand-in. */
  readonly id?: string;
}

/** Asks for tool calls (finish_reason "tool_calls"); `then` answers once a tool result comes back. */
export interface ToolCallScript {
  readonly toolCalls: readonly ToolCallSpec[];
  /** Sent first, as one `delta.reasoning_content` chunk. */
  readonly reasoning?: string;
  /** Sent after the reasoning and before the tool calls, as one `delta.content` chunk. */
  readonly text?: string;
  /**
   * The reply to the request that carries the tool result. Default `{ text: "Done." }`.
   * A function gets that request (its last message is the tool result).
   */
  readonly then?: Reply;
  /** Reported instead of the estimated counts. */
  readonly usage?: UsageOverride;
}

/** Answers with an HTTP error and a LiteLLM-shaped body. */
export interface ErrorScript {
  readonly error: {
    readonly status: number;
    /** Default: a LiteLLM-like message for the status (401: "Authentication Error, ..."). */
    readonly message?: string;
    /** Extra response headers, e.g. `{ "retry-after": "0" }` for a 429. */
    readonly headers?: Readonly<Record<string, string>>;
  };
}

/** Sends `afterChunks` chunks, then no bytes for `ms`, then finishes normally. */
export interface StallScript {
  readonly stall: {
    readonly ms: number;
    /** Default 0: only the response headers go out before the stall. */
    readonly afterChunks?: number;
    /** Default: the echo of the last user text. */
    readonly text?: string;
  };
}

/** Sends `afterChunks` chunks, then destroys the socket (no finish chunk, no `[DONE]`). */
export interface HangUpScript {
  readonly hangUp: {
    readonly afterChunks?: number;
    /** Default: the echo of the last user text. */
    readonly text?: string;
  };
}

/**
 * Answers through opencode's `StructuredOutput` tool (the tool opencode 1.18 adds,
 * with `tool_choice: "required"`, to a prompt that carries a JSON-schema `format`;
 * its parameters are the schema). With none of the fields: an object generated
 * from that schema, fitting it.
 */
export interface StructuredScript {
  readonly structured: {
    /** Sent as the tool's arguments as is, fitting the schema or not. */
    readonly value?: Readonly<Record<string, unknown>>;
    /** An object generated from the schema and then broken so that it does not fit. */
    readonly invalid?: boolean;
    /** No tool call at all: answers with `text` (opencode then reports `StructuredOutputError`). */
    readonly skip?: boolean;
    /** The text of a `skip` answer. Default "I will answer in plain text.". */
    readonly text?: string;
  };
}

export type Script =
  | TextScript
  | ToolCallScript
  | StructuredScript
  | ErrorScript
  | StallScript
  | HangUpScript;

/** A script, or a function that builds one from the request it answers. */
export type Reply = Script | ((request: RecordedRequest) => Script);

/** The built-in answer when no rule matches: `echo` repeats the last user text; `agent` plays a short agent turn. */
export type DefaultScript = "echo" | "agent";

export interface Rule {
  /** Default: matches every request. String and RegExp matchers see only requests whose last message is from the user. */
  readonly match?: Matcher;
  /** A function is called with the request; a script it returns that is not valid is answered with a 500. */
  readonly reply: Reply;
  /** Also try this rule on opencode's title-generation requests (default false). */
  readonly titles?: boolean;
}

export interface FakeLiteLLMOptions {
  /** Accepted Bearer keys. Default `["sk-test"]`. */
  readonly keys?: readonly string[];
  /** Listed by `GET /v1/models`. Default `["fake-model"]`; completions accept any model. */
  readonly models?: readonly string[];
  /** Tried in order, first match wins; when none matches, `defaultScript` answers. */
  readonly rules?: readonly Rule[];
  /**
   * What answers when no rule matches (after a structured-output request got its
   * generated object). Default "echo"; "agent" tries `agentDemoRules()` first.
   */
  readonly defaultScript?: DefaultScript;
  /** Default "127.0.0.1". */
  readonly host?: string;
  /** Default 0 (the OS picks a free port). */
  readonly port?: number;
  /** The answer to title-generation requests. Default "Scripted session". */
  readonly title?: string;
}

export interface FakeLiteLLM {
  /** The base URL to give opencode, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  readonly port: number;
  /** Every chat-completions request so far, in arrival order (title requests included). */
  readonly requests: readonly RecordedRequest[];
  setRules(rules: readonly Rule[]): void;
  /** Puts a rule before all others. */
  addRule(rule: Rule): void;
  /** Drops the rules, the recorded requests and the pending tool calls. */
  reset(): void;
  /** Stops listening and destroys every open connection (stalled streams included). */
  close(): Promise<void>;
}
