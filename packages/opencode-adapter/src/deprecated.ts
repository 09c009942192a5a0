// Former names, kept for one release: each says what to use instead.
import type { EventStreamFailure } from "./client/errors.js";
import { ReplyErrorCode } from "./error-codes.js";

/** @deprecated use `ReplyErrorCode` */
export const ErrorCode: typeof ReplyErrorCode = ReplyErrorCode;
/** @deprecated use `ReplyErrorCode` */
export type ErrorCode = ReplyErrorCode;

/** @deprecated use `EventStreamFailure` (the same union) */
export type StreamFailureReason = EventStreamFailure;
