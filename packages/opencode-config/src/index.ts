export { SUPPORTED_OPENCODE_RANGE } from "@taos/internal";
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
export type { InvalidOptionErrorOptions } from "./validation-error.js";
export { ConfigValidationError, InvalidOptionError } from "./validation-error.js";
export { UnsupportedOpenCodeVersionError } from "./version-error.js";
export { writeOpenCodeConfig } from "./write.js";
