export { AGENT_DEMO_COMMAND, agentDemoRules } from "./agent-demo.js";
export { misfitOf, sampleOf } from "./schema-sample.js";
export { startFakeLiteLLM } from "./server.js";
export type {
  ChatContentPart,
  ChatMessage,
  ChatToolCall,
  DefaultScript,
  ErrorScript,
  FakeLiteLLM,
  FakeLiteLLMOptions,
  HangUpScript,
  Matcher,
  RecordedRequest,
  Reply,
  Rule,
  Script,
  StallScript,
  StructuredScript,
  TextScript,
  ToolCallScript,
  ToolCallSpec,
  UsageOverride,
} from "./types.js";
export { FakeLiteLLMOptionsError } from "./validate.js";
export { splitText } from "./wire.js";
