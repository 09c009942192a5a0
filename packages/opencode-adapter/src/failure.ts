/**
 * The one mapping from a failure to its reply: `failureOf(error)` gives the user-facing
 * message and the stable code of anything a turn can end with, and `refusedTurn` builds
 * the error reply and result of a turn that ended before opencode answered.
 */
import { describeError, isRecord, redactKeyLike, withoutStack } from "@taos/internal";
import { InvalidOptionError, UnsupportedOpenCodeVersionError } from "@taos/opencode-config";
import {
  OpenCodeAdapterClosedError,
  OpenCodeEventStreamError,
  OpenCodeHttpError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
} from "./client/errors.js";
import type { TurnFailure } from "./codec-book.js";
import { errorCodeOf, ReplyErrorCode, streamFailureCode } from "./error-codes.js";
import type { ErrorReply, TurnResult } from "./reply.js";

/**
 * Hides API keys and Bearer tokens that an upstream error text might quote (the turn's
 * own key is never known here), as `sk-[REDACTED]` and `Bearer [REDACTED]`.
 */
export const redactSecrets: (text: string) => string = redactKeyLike;

// opencode's references of server errors are short identifiers (`err_1a2b3c4d`).
const REF = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The failure of anything a turn can end with: an error thrown on this side (ours get
 * their code; any other keeps its message and has no code), or an opencode error object
 * (`session.error`'s `error`, an assistant message's `info.error`). `secrets` are masked.
 */
export function failureOf(
  error: unknown,
  secrets: readonly (string | undefined)[] = [],
): TurnFailure {
  if (error instanceof Error) {
    const message = describeError(error, secrets);
    if (OpenCodeHttpError.isInstance(error) && (error.statusCode ?? 0) >= 500)
      return serverFailure(error, message);
    const code = thrownCode(error);
    return code === undefined ? { error: message } : { error: message, code };
  }
  return opencodeFailure(error);
}

/** A 5xx from opencode: its own failure, with its error name and ref. */
function serverFailure(error: OpenCodeHttpError, message: string): TurnFailure {
  return {
    error: message,
    code: ReplyErrorCode.OpenCodeServerError,
    ...(error.opencodeError === undefined ? {} : { opencodeError: error.opencodeError }),
    ...(error.ref === undefined ? {} : { opencodeRef: error.ref }),
  };
}

/** The code of an error thrown by this package (or the ones below it); undefined for others. */
function thrownCode(error: unknown): ReplyErrorCode | undefined {
  if (InvalidOptionError.isInstance(error)) return ReplyErrorCode.InvalidInput;
  if (OpenCodeAdapterClosedError.isInstance(error)) return ReplyErrorCode.AdapterClosed;
  if (UnsupportedOpenCodeVersionError.isInstance(error)) return ReplyErrorCode.UnsupportedVersion;
  if (OpenCodeSessionNotFoundError.isInstance(error)) return ReplyErrorCode.SessionNotFound;
  if (OpenCodeUnauthorizedError.isInstance(error)) return ReplyErrorCode.Unauthorized;
  if (OpenCodeHttpError.isInstance(error)) return ReplyErrorCode.HttpError;
  if (OpenCodeEventStreamError.isInstance(error)) return streamFailureCode(error.reason);
  return undefined;
}

function opencodeFailure(error: unknown): TurnFailure {
  if (!isRecord(error)) {
    return {
      error: "opencode reported an error without details",
      code: ReplyErrorCode.OpenCodeError,
    };
  }
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
  const { code, opencodeError } = errorCodeOf(error);
  const ref = data !== undefined && typeof data.ref === "string" ? data.ref : undefined;
  return {
    error: redactSecrets(withoutStack(message)),
    code,
    ...(opencodeError === undefined ? {} : { opencodeError }),
    ...(ref !== undefined && REF.test(ref) ? { opencodeRef: ref } : {}),
    ...(name === "MessageAbortedError" ? { aborted: true } : {}),
  };
}

/** The failure of a turn stopped on purpose. */
export const ABORTED: TurnFailure = {
  error: "Aborted",
  code: ReplyErrorCode.Aborted,
  aborted: true,
};

/** A turn that ended on this side before opencode answered: its one error reply and its result. */
export interface RefusedTurn {
  readonly reply: ErrorReply;
  readonly result: TurnResult;
}

/**
 * The error reply and the result of a turn refused or failed before opencode answered
 * (bad input, no server, no session, a closed pool): `aborted` (or a failure coded
 * `aborted`) gives status `"aborted"`, anything else `"error"`; the code goes on both.
 */
export function refusedTurn(traceId: string, sessionId: string, failure: TurnFailure): RefusedTurn {
  const aborted = failure.aborted === true || failure.code === ReplyErrorCode.Aborted;
  const error = failure.error !== "" ? failure.error : "turn failed";
  const { code, opencodeError, opencodeRef } = failure;
  const reply: ErrorReply = {
    kind: "error",
    trace_id: traceId,
    error,
    ...(code === undefined ? {} : { code }),
    ...(opencodeError === undefined ? {} : { opencode_error: opencodeError }),
    ...(opencodeRef === undefined ? {} : { opencode_ref: opencodeRef }),
  };
  const result: TurnResult = {
    sessionId,
    status: aborted ? "aborted" : "error",
    text: "",
    error,
    ...(code === undefined ? {} : { code }),
    ...(opencodeError === undefined ? {} : { opencodeError }),
    ...(opencodeRef === undefined ? {} : { opencodeRef }),
  };
  return { reply, result };
}
