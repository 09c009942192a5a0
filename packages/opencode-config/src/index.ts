export type {
  OpenCodeConfigFile,
  OpenCodeConfigOptions,
  OpenCodeModel,
  OpenCodeModelSettings,
  OpenCodeProviderConfig,
  PermissionAction,
  PermissionConfig,
} from "./config.js";
export {
  buildOpenCodeConfig,
  modelIdOf,
  OPENCODE_CONFIG_SCHEMA,
  opencodeConfigPath,
  toConfigEnv,
  validateOpenCodeConfigOptions,
} from "./config.js";
export type { TaosOpenCodeErrorOptions } from "./errors.js";
export { TaosOpenCodeError } from "./errors.js";
export type { OpenCodeLogger } from "./logger.js";
export { ConfigValidationError } from "./validation-error.js";
export { writeOpenCodeConfig } from "./write.js";
