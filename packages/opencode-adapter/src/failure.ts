/** The user-facing message and code of an opencode error object. */
import { isRecord, redactKeyLike, withoutStack } from "@taos/internal";
import type { TurnFailure } from "./codec-book.js";
import { errorCodeOf, ReplyErrorCode } from "./error-codes.js";

/**
 * Hides API keys and Bearer tokens that an upstream error text might quote (the turn's
 * own key is never known here), as `sk-[REDACTED]` and `Bearer [REDACTED]`.
 */
export const redactSecrets: (text: string) => string = redactKeyLike;

// opencode's references of server errors are short identifiers (`err_1a2b3c4d`).
const REF = /^[A-Za-z0-9_-]{1,64}$/;

/** The failure of an opencode error object (`session.error`'s `error` or an `info.error`). */
export function failureOf(error: unknown): TurnFailure {
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
