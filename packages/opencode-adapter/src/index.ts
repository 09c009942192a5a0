export type { OpenCodeLogger } from "@taos/internal";
export { SUPPORTED_OPENCODE_RANGE } from "@taos/internal";
export type { InvalidOptionErrorOptions } from "@taos/opencode-config";
export { InvalidOptionError, UnsupportedOpenCodeVersionError } from "@taos/opencode-config";
export { OpenCodeAdapter } from "./adapter.js";
export type {
  AskDecision,
  PermissionDecision,
  PermissionPolicy,
  PermissionReply,
  PermissionRequest,
  QuestionAnswers,
  QuestionItem,
  QuestionOption,
  QuestionPolicy,
  QuestionRequest,
} from "./client/ask-types.js";
export { DEFAULT_REJECT_MESSAGE } from "./client/asks.js";
export type { Attachment, FilePartInput } from "./client/attachments.js";
export { toFileParts } from "./client/attachments.js";
export type { OpenCodeAdapterConfig, OutputFormat, PromptDefaults } from "./client/config.js";
export type { EventStreamFailure, OpenCodeHttpErrorOptions } from "./client/errors.js";
export {
  OpenCodeAdapterClosedError,
  OpenCodeAdapterConfigError,
  OpenCodeEventStreamError,
  OpenCodeHttpError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
  UnsupportedServerVersionError,
} from "./client/errors.js";
export { GLOBAL_EVENT_PATH } from "./client/hub-stream.js";
export type { EventHeader, TurnFailure, TurnState, TurnStateOptions } from "./codec.js";
export {
  CODEC_EVENT_TYPES,
  createTurnState,
  finishTurn,
  isTurnEndEvent,
  mapFrame,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
  readEventHeader,
} from "./codec.js";
export { PART_SEPARATOR } from "./codec-parts.js";
export type { ErrorCodeOf, StreamFailureReason } from "./error-codes.js";
export {
  errorCodeOf,
  isReplyErrorCode,
  REPLY_ERROR_CODES,
  /** The former name of `ReplyErrorCode`, kept for callers. */
  ReplyErrorCode as ErrorCode,
  ReplyErrorCode,
  streamFailureCode,
} from "./error-codes.js";
export type {
  MessagePartDeltaProperties,
  MessagePartUpdatedProperties,
  MessageUpdatedProperties,
  OpenCodeErrorInfo,
  OpenCodeEvent,
  OpenCodeEventTypeName,
  OpenCodeMessageInfo,
  OpenCodePart,
  OpenCodeQuestionInfo,
  OpenCodeQuestionOption,
  OpenCodeSessionStatus,
  OpenCodeTokens,
  OpenCodeToolRef,
  OpenCodeToolState,
  PermissionAskedProperties,
  QuestionAskedProperties,
  SessionErrorProperties,
  SessionStatusProperties,
} from "./events.js";
export { eventSessionId, OpenCodeEventType } from "./events.js";
export type { RefusedTurn } from "./failure.js";
export { failureOf, redactSecrets, refusedTurn } from "./failure.js";
export type { Frame } from "./frame.js";
export { readFrame } from "./frame.js";
export type {
  DeltaReply,
  ErrorReply,
  FinalReply,
  ReasoningReply,
  Reply,
  ReplyKind,
  ReplyUsage,
  Sink,
  ToolCallReply,
  ToolResultReply,
  TurnResult,
  TurnStatus,
  TurnUsage,
} from "./reply.js";
export type { StructuredCheck } from "./structured.js";
export { validateStructuredOutput } from "./structured.js";
export type { EventFacts, Learned, TurnMessages, Verdict } from "./turn/ownership.js";
export { ownership } from "./turn/ownership.js";
export type { PromptOptions } from "./turn/prompt-request.js";
export type { TurnStatusUpdate } from "./turn/status.js";
export type { OpenCodeTurnResult } from "./turn/turn-options.js";
export type { TurnPhase } from "./turn/turn-phase.js";
