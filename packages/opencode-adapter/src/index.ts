export type { OpenCodeLogger } from "@taos/internal";
export type { PromptOptions } from "./adapter.js";
export { OpenCodeAdapter } from "./adapter.js";
export { DEFAULT_REJECT_MESSAGE } from "./client/asks.js";
export type { Attachment, FilePartInput } from "./client/attachments.js";
export { toFileParts } from "./client/attachments.js";
export type {
  AskDecision,
  OpenCodeAdapterConfig,
  PermissionDecision,
  PermissionPolicy,
  PermissionReply,
  PermissionRequest,
  QuestionAnswers,
  QuestionItem,
  QuestionOption,
  QuestionPolicy,
  QuestionRequest,
} from "./client/config.js";
export type { EventStreamFailure, OpenCodeHttpErrorOptions } from "./client/errors.js";
export {
  OpenCodeAdapterClosedError,
  OpenCodeAdapterConfigError,
  OpenCodeEventStreamError,
  OpenCodeHttpError,
  OpenCodeSessionNotFoundError,
  OpenCodeUnauthorizedError,
} from "./client/errors.js";
export { GLOBAL_EVENT_PATH } from "./client/event-hub.js";
export type { OpenCodeTurnResult } from "./client/turn.js";
export { ErrorCode } from "./client/turn.js";
export type { EventHeader, TurnFailure, TurnState, TurnStateOptions } from "./codec.js";
export {
  CODEC_EVENT_TYPES,
  createTurnState,
  failureOf,
  finishTurn,
  isTurnEndEvent,
  mapOpenCodeEvent,
  mapOpenCodeEventData,
  readEventHeader,
  redactSecrets,
} from "./codec.js";
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
