export type {
  FindOpenCodeBinaryOptions,
  FoundOpenCodeBinary,
  ResolveOpenCodeBinaryOptions,
} from "./binary.js";
export { findOpenCodeBinary, resolveOpenCodeBinary } from "./binary.js";
export type { HostTraits } from "./binary-platform.js";
export { platformPackageNames, platformTraits } from "./binary-platform.js";
export type { ExitInfo } from "./child.js";
export { DEFAULT_SERVER_ENV } from "./env.js";
export type { SkippedOpenCodeBinary } from "./errors.js";
export {
  InvalidServerOptionError,
  OpenCodeBinaryNotFoundError,
  OpenCodeExitedError,
  OpenCodeHealthError,
  OpenCodeStartTimeoutError,
  OpenCodeStoppedError,
  PortInUseError,
} from "./errors.js";
export { findBwrap } from "./find-bwrap.js";
export type { SandboxMode } from "./sandbox.js";
export { OpenCodeServer } from "./server.js";
export type {
  ConfigUpdate,
  EnsureRunningOptions,
  ExitListener,
  HealthCheckOptions,
  LiteLLMOptions,
  OpenCodeServerOptions,
  RestartOptions,
  ServerAuth,
  StopOptions,
} from "./types.js";
export type { CheckOpenCodeVersionOptions } from "./version.js";
export {
  checkOpenCodeVersion,
  isSupportedOpenCodeVersion,
  readBinaryVersion,
  SUPPORTED_OPENCODE_RANGE,
  SUPPORTED_OPENCODE_VERSIONS,
  UnsupportedOpenCodeVersionError,
} from "./version.js";
