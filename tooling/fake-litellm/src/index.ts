export { FakeLiteLLMOptionsError, startFakeLiteLLM } from "./server.js";
export type {
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  ErrorScript,
  FakeLiteLLM,
  FakeLiteLLMOptions,
  HangUpScript,
  Matcher,
  RecordedRequest,
  Rule,
  Script,
  StallScript,
  TextScript,
  ToolCallScript,
  ToolCallSpec,
  UsageOverride,
} from "./types.js";
export { splitText } from "./wire.js";
