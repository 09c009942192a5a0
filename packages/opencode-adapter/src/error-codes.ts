import { isRecord } from "@taos/internal";
import type { EventStreamFailure } from "./client/errors.js";

/**
 * The one vocabulary of an error reply's `code`: snake_case, stable, documented.
 * opencode's own error name (`APIError`, `ContextOverflowError`, ...) never goes in
 * `code`; it travels beside it as `opencodeError`.
 */
export const ReplyErrorCode = {
  /** The turn was aborted (the caller's signal, or opencode's `MessageAbortedError`). */
  Aborted: "aborted",
  /** The request was refused before anything was sent (bad message, attachment or option). */
  InvalidInput: "invalid_input",
  /** The adapter was closed before or during the turn. */
  AdapterClosed: "adapter_closed",
  /** opencode does not know the session. */
  SessionNotFound: "session_not_found",
  /** opencode refused our server password (HTTP 401 from `opencode serve`). */
  Unauthorized: "unauthorized",
  /** Another HTTP failure talking to `opencode serve`. */
  HttpError: "http_error",
  /** The event stream could not be opened. */
  EventStreamConnect: "event_stream_connect",
  /** The event stream sent nothing (not even a heartbeat) for too long. */
  EventStreamSilence: "event_stream_silence",
  /** The event stream ended or broke, and reconnecting failed. */
  EventStreamLost: "event_stream_lost",
  /** The model proxy refused the key (401, 403) or the provider is not authenticated. */
  UpstreamUnauthorized: "upstream_unauthorized",
  /** The model proxy answered 429 until opencode's retries ran out. */
  UpstreamRateLimited: "upstream_rate_limited",
  /** The model proxy is unreachable, timed out or answered 5xx. */
  UpstreamUnavailable: "upstream_unavailable",
  /** The model proxy answered another error (a 4xx other than the above). */
  UpstreamError: "upstream_error",
  /** The conversation no longer fits the model's context window. */
  ContextOverflow: "context_overflow",
  /** The model hit its output token limit before finishing. */
  OutputLength: "output_length",
  /** The provider's content filter stopped the answer. */
  ContentFiltered: "content_filtered",
  /** The model did not produce structured output after opencode's retries. */
  StructuredOutputFailed: "structured_output_failed",
  /** The model's structured output does not match the schema asked for. */
  StructuredOutputInvalid: "structured_output_invalid",
  /** The model asked for is not configured. */
  ModelNotFound: "model_not_found",
  /** Any other error opencode reported; `opencodeError` names it. */
  OpenCodeError: "opencode_error",
  /**
   * opencode accepted the prompt but produced no answer: the session went idle with no
   * assistant message for it (a server in this state is healed by the runtime and the pool).
   */
  NoAnswer: "no_answer",
  /** opencode answered a request with a 5xx (its own failure); `opencodeError` and `opencodeRef` say which. */
  OpenCodeServerError: "opencode_server_error",
  /** The server runs an opencode version outside the supported range; nothing was sent. */
  UnsupportedVersion: "unsupported_opencode_version",
  /** The runtime is stopped (or stopping) and takes no turn. */
  ServerStopped: "server_stopped",
  /** The opencode server could not be started, or exited as the turn began. */
  ServerStartFailed: "server_start_failed",
  /** Every server of the pool is busy and the queue is full (or the wait ran out). */
  PoolBusy: "pool_busy",
  /** The agent's server keeps failing to start; the pool refuses it for a while. */
  AgentFailing: "agent_failing",
  /** The pool is closed and takes no turn. */
  PoolClosed: "pool_closed",
  /** No agent of that id is registered in the pool. */
  UnknownAgent: "unknown_agent",
  /** (remote pool) The host could not be reached, or went away mid-turn. */
  HostUnreachable: "host_unreachable",
} as const;

/** One code of the vocabulary. */
export type ReplyErrorCode = (typeof ReplyErrorCode)[keyof typeof ReplyErrorCode];

/** Every code, in the order of the table. */
export const REPLY_ERROR_CODES: readonly ReplyErrorCode[] = Object.freeze(
  Object.values(ReplyErrorCode),
);

const CODES: ReadonlySet<string> = new Set(REPLY_ERROR_CODES);

/** True for a string of the vocabulary. */
export function isReplyErrorCode(value: unknown): value is ReplyErrorCode {
  return typeof value === "string" && CODES.has(value);
}

/** The code of an opencode error and, when it has one, opencode's name for it. */
export interface ErrorCodeOf {
  readonly code: ReplyErrorCode;
  /** opencode's error name (`APIError`, ...), when the error carried a plausible one. */
  readonly opencodeError?: string;
}

/** The code of an event stream failure. */
export function streamFailureCode(reason: EventStreamFailure): ReplyErrorCode {
  if (reason === "silence") return ReplyErrorCode.EventStreamSilence;
  if (reason === "lost") return ReplyErrorCode.EventStreamLost;
  return ReplyErrorCode.EventStreamConnect;
}

// An error name is an identifier; anything else (huge or odd strings) is not passed on.
const NAME = /^[A-Za-z_$][\w$.]{0,99}$/;
const MODEL_NOT_FOUND = /model not found|model_not_found|invalid model name|no such model/i;
const UNREACHABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|socket hang up|fetch failed|unable to connect|connection refused|connection reset/i;
const OVERFLOW =
  /context overflow|context length|context window|prompt is too long|prompt too long/i;

const BY_NAME: Readonly<Record<string, ReplyErrorCode>> = {
  MessageAbortedError: ReplyErrorCode.Aborted,
  ProviderAuthError: ReplyErrorCode.UpstreamUnauthorized,
  ContextOverflowError: ReplyErrorCode.ContextOverflow,
  MessageOutputLengthError: ReplyErrorCode.OutputLength,
  ContentFilterError: ReplyErrorCode.ContentFiltered,
  StructuredOutputError: ReplyErrorCode.StructuredOutputFailed,
  ProviderModelNotFoundError: ReplyErrorCode.ModelNotFound,
  ModelNotFoundError: ReplyErrorCode.ModelNotFound,
};

/**
 * Maps an opencode error object (`session.error`'s `error`, or an assistant
 * message's `info.error`: `{ name, data: { message, statusCode?, isRetryable? } }`)
 * to the vocabulary. Pure; never throws, whatever it is given.
 */
export function errorCodeOf(error: unknown): ErrorCodeOf {
  try {
    return classify(error);
  } catch {
    // A hostile object (a getter or proxy that throws) is still an error to report.
    return { code: ReplyErrorCode.OpenCodeError };
  }
}

function classify(error: unknown): ErrorCodeOf {
  if (typeof error !== "object" || error === null) return { code: ReplyErrorCode.OpenCodeError };
  const record = error as Record<string, unknown>;
  const name = typeof record.name === "string" && NAME.test(record.name) ? record.name : undefined;
  const data = isRecord(record.data) ? record.data : {};
  const message = [data.message, record.message].filter((m) => typeof m === "string").join("\n");
  const code = codeFor(name, data, message);
  return name === undefined ? { code } : { code, opencodeError: name };
}

function codeFor(
  name: string | undefined,
  data: Record<string, unknown>,
  message: string,
): ReplyErrorCode {
  if (name === "APIError") return apiErrorCode(data, message);
  const byName = name !== undefined && Object.hasOwn(BY_NAME, name) ? BY_NAME[name] : undefined;
  if (byName !== undefined) return byName;
  if (MODEL_NOT_FOUND.test(message)) return ReplyErrorCode.ModelNotFound;
  if (UNREACHABLE.test(message)) return ReplyErrorCode.UpstreamUnavailable;
  return ReplyErrorCode.OpenCodeError;
}

function apiErrorCode(data: Record<string, unknown>, message: string): ReplyErrorCode {
  const status = statusOf(data.statusCode);
  if (status === 401 || status === 403) return ReplyErrorCode.UpstreamUnauthorized;
  if (status === 429) return ReplyErrorCode.UpstreamRateLimited;
  if (status === 408 || (status !== undefined && status >= 500)) {
    return ReplyErrorCode.UpstreamUnavailable;
  }
  if (MODEL_NOT_FOUND.test(message)) return ReplyErrorCode.ModelNotFound;
  if (status === 400 && OVERFLOW.test(message)) return ReplyErrorCode.ContextOverflow;
  if (status === undefined && (data.isRetryable === true || UNREACHABLE.test(message))) {
    return ReplyErrorCode.UpstreamUnavailable;
  }
  return ReplyErrorCode.UpstreamError;
}

function statusOf(value: unknown): number | undefined {
  const status = typeof value === "string" && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof status === "number" && Number.isInteger(status) ? status : undefined;
}
