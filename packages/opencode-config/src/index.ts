export { abortable, delay } from "./async.js";
export type {
  OpenCodeConfigFile,
  OpenCodeConfigOptions,
  OpenCodeProviderConfig,
  PermissionAction,
  PermissionConfig,
} from "./config.js";
export {
  buildOpenCodeConfig,
  OPENCODE_CONFIG_SCHEMA,
  opencodeConfigPath,
  requireHome,
  toConfigEnv,
  validateOpenCodeConfigOptions,
} from "./config.js";
export type { TaosOpenCodeErrorOptions } from "./errors.js";
export { TaosOpenCodeError } from "./errors.js";
export type { OpenCodeLogger } from "./logger.js";
export { loggerProblem, silentLogger } from "./logger.js";
export { ConfigValidationError } from "./validation-error.js";
export { ensurePrivateDir, writeOpenCodeConfig } from "./write.js";
