export type { Reply, Sink, TurnResult } from "@taos/opencode-adapter";
export type { ArchiveSource } from "./archive-import.js";
export type { ArchiveEntry, ArchiveLimits, ArchiveManifest } from "./archive-rules.js";
export { ARCHIVE_FORMAT, ARCHIVE_VERSION, DEFAULT_ARCHIVE_LIMITS } from "./archive-rules.js";
export {
  AgentBusyError,
  AgentExistsError,
  InvalidArchiveError,
  InvalidPoolOptionError,
  PoolClosedError,
  PoolRefusedError,
  UnknownAgentError,
  UnsupportedPlatformError,
} from "./errors.js";
export type { PoolEventName, PoolEvents, PoolListener } from "./events.js";
export type {
  AgentLaunch,
  AttachedServer,
  LaunchedServer,
  Launcher,
  LocalLauncherOptions,
} from "./launcher.js";
export { attachedLauncher, localLauncher } from "./launcher.js";
export type { ExportOptions, ImportOptions } from "./mobility.js";
export type { AgentSettings, OpenCodePoolOptions } from "./options.js";
export type { AgentPhase } from "./phase.js";
export type { CloseOptions } from "./pool.js";
export { OpenCodePool } from "./pool.js";
export type { RestartPolicy, StopReason } from "./schedule.js";
export { DEFAULT_RESTART_POLICY } from "./schedule.js";
export type { AgentStats, PoolStats } from "./stats.js";
export type { PoolTurnCall, PoolTurnOptions } from "./turn.js";
