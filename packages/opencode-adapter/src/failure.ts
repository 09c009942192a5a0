/** The user-facing message and code of an opencode error object. */
import { withoutStack } from "@taos/internal";
import type { TurnFailure } from "./codec-book.js";
import { isRecord } from "./codec-book.js";
import { errorCodeOf, ReplyErrorCode } from "./error-codes.js";

// Keys an upstream might echo back in an error text; the turn's own key is never known here.
const SECRET = /\b(sk-[A-Za-z0-9_-]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{6,})/g;

/** Hides API keys and Bearer tokens that an upstream error text might quote. */
export function redactSecrets(text: string): string {
  return text.replace(SECRET, (match) =>
    match.startsWith("Bearer") ? "Bearer [redacted]" : "sk-[redacted]",
  );
}

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
  return {
    error: redactSecrets(withoutStack(message)),
    code,
    ...(opencodeError === undefined ? {} : { opencodeError }),
    ...(name === "MessageAbortedError" ? { aborted: true } : {}),
  };
}

/** The failure of a turn stopped on purpose. */
export const ABORTED: TurnFailure = {
  error: "Aborted",
  code: ReplyErrorCode.Aborted,
  aborted: true,
};
