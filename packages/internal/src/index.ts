export { abortable, delay } from "./delay.js";
export { describeError, withoutStack } from "./error-text.js";
export type { OpenCodeLogger } from "./logger.js";
export { loggerProblem, resolveLogger, silentLogger } from "./logger.js";
export { isSupportedOpenCodeRelease, SUPPORTED_OPENCODE_RANGE } from "./opencode-version.js";
export { OrderedDelivery } from "./ordered-delivery.js";
export { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "./private-dir.js";
export type { ProcStat } from "./proc-stat.js";
export { parseProcStat } from "./proc-stat.js";
export { maskSecrets, REDACTED, Redactor, redactKeyLike } from "./secrets.js";
export type {
  OtelApi,
  OtelApiLoader,
  TelemetryInstruments,
} from "./telemetry-api.js";
export {
  errorTypeOf,
  isErrorType,
  MetricName,
  otelApi,
  otelApiLoaderFrom,
  otelInstruments,
  otelTracer,
  quietly,
  setOtelApiLoader,
  TELEMETRY_SCOPE,
} from "./telemetry-api.js";
export type { HealTelemetry, WedgedInfo } from "./telemetry-heal.js";
export { HEAL_SPAN, startHeal, WEDGED_EVENT } from "./telemetry-heal.js";
export type { PoolGaugeStats, PoolGauges } from "./telemetry-pool.js";
export { poolGauges } from "./telemetry-pool.js";
export type {
  ServerOperation,
  ServerReadyInfo,
  ServerStartTelemetry,
} from "./telemetry-server.js";
export { recordServerExit, ServerSpan, startServerSpan } from "./telemetry-server.js";
export type { TurnTelemetry } from "./telemetry-turn.js";
export { startTurnSpan, TurnSpan } from "./telemetry-turn.js";
export type {
  TelemetryDecision,
  TelemetryReply,
  TelemetryTurnResult,
  TurnSpanInfo,
} from "./telemetry-turn-rules.js";
export { turnOutcome, turnUsage } from "./telemetry-turn-rules.js";
export type { Fail, FieldErrorFactory } from "./validate.js";
export { describeValue, fieldFailer, isRecord } from "./validate.js";
