export type { ResolveOpenCodeBinaryOptions } from "./binary.js";
export { platformPackageNames, resolveOpenCodeBinary } from "./binary.js";
export { DEFAULT_SERVER_ENV } from "./env.js";
export {
  InvalidServerOptionError,
  OpenCodeBinaryNotFoundError,
  OpenCodeExitedError,
  OpenCodeHealthError,
  OpenCodeStartTimeoutError,
  OpenCodeStoppedError,
  PortInUseError,
} from "./errors.js";
export type {
  EnsureRunningOptions,
  LiteLLMOptions,
  OpenCodeServerOptions,
  RestartOptions,
  StopOptions,
} from "./options.js";
export type { SandboxMode } from "./sandbox.js";
export { findBwrap } from "./sandbox.js";
export type {
  ConfigUpdate,
  ExitInfo,
  ExitListener,
  HealthCheckOptions,
  ServerAuth,
} from "./server.js";
export { OpenCodeServer } from "./server.js";
export type { CheckOpenCodeVersionOptions } from "./version.js";
export {
  assertVersionRange,
  checkOpenCodeVersion,
  isSupportedOpenCodeVersion,
  OPENCODE_INSTALL_HINT,
  parseOpenCodeVersion,
  readBinaryVersion,
  SUPPORTED_OPENCODE_VERSIONS,
  UnsupportedOpenCodeVersionError,
  VERSION_TIMEOUT_MS,
} from "./version.js";
