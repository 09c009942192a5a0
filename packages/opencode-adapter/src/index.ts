export type { OpenCodeLogger } from "@taos/internal";
export type { InvalidOptionErrorOptions } from "@taos/opencode-config";
export {
  InvalidOptionError,
  SUPPORTED_OPENCODE_RANGE,
  UnsupportedOpenCodeVersionError,
} from "@taos/opencode-config";
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
export type { ConnectionHold, HoldConnectionOptions } from "./client/hold.js";
export { holdConnection } from "./client/hold.js";
export type { TurnFailure, TurnState, TurnStateOptions } from "./codec.js";
export { createTurnState, finishTurn, mapOpenCodeEvent } from "./codec.js";
export { mapOpenCodeEventData } from "./codec-raw.js";
export type { StreamFailureReason } from "./deprecated.js";
export { ErrorCode } from "./deprecated.js";
export { isReplyErrorCode, REPLY_ERROR_CODES, ReplyErrorCode } from "./error-codes.js";
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
export { OpenCodeEventType } from "./events.js";
export { failureOf } from "./failure.js";
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
export type { PromptOptions } from "./turn/prompt-request.js";
export type { TurnStatusUpdate } from "./turn/status.js";
export type { OpenCodeTurnResult } from "./turn/turn-options.js";
