export { abortable, delay } from "./delay.js";
export { describeError, withoutStack } from "./error-text.js";
export type { OpenCodeLogger } from "./logger.js";
export { loggerProblem, resolveLogger, silentLogger } from "./logger.js";
export { OrderedDelivery } from "./ordered-delivery.js";
export { ensurePrivateDir, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from "./private-dir.js";
export { maskSecrets, REDACTED, Redactor, redactKeyLike } from "./secrets.js";
export type { Fail, FieldErrorFactory } from "./validate.js";
export { describeValue, fieldFailer, isRecord } from "./validate.js";
