export type { Reply, Sink, TurnResult } from "@taos/opencode-adapter";
export type { ArchiveSource } from "./archive-import.js";
export type { ArchiveEntry, ArchiveLimits, ArchiveManifest } from "./archive-rules.js";
export {
  ARCHIVE_FORMAT,
  ARCHIVE_VERSION,
  DEFAULT_ARCHIVE_LIMITS,
  entryProblem,
  isExportedPath,
  isSqliteHeader,
  manifestProblem,
} from "./archive-rules.js";
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
export { validateAgentId } from "./options.js";
export type { AgentPhase, PhaseEvent } from "./phase.js";
export { holdsSlot, nextPhase, PHASE_TRANSITIONS } from "./phase.js";
export type { CloseOptions } from "./pool.js";
export { OpenCodePool } from "./pool.js";
export type {
  Admission,
  AdmissionLimits,
  RestartDecision,
  RestartPolicy,
  SlotView,
  StopReason,
} from "./schedule.js";
export {
  chooseEviction,
  DEFAULT_RESTART_POLICY,
  decideAdmission,
  decideRestart,
  pickNext,
  staleDirectories,
} from "./schedule.js";
export type { AgentStats, PoolStats } from "./stats.js";
export type { PoolTurnOptions, TurnRefusal } from "./turn.js";
