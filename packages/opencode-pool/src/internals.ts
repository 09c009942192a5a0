// The pool's plumbing: its phase table and its pure scheduling rules, for the tests and
// for tools that study them. Not the pool's public API; it may change in any release.

export type { ArchiveEntry } from "./archive-rules.js";
export { entryProblem, isExportedPath, isSqliteHeader, manifestProblem } from "./archive-rules.js";
export { validateAgentId } from "./options.js";
export type { PhaseEvent, PhaseTransition } from "./phase.js";
export { holdsSlot, ImpossibleTransitionError, nextPhase, PHASE_TRANSITIONS } from "./phase.js";
export type { Admission, AdmissionLimits, RestartDecision, SlotView } from "./schedule.js";
export {
  chooseEviction,
  decideAdmission,
  decideRestart,
  pickNext,
  RECENT_TURNS_PER_SERVER,
  recentTurns,
  staleDirectories,
} from "./schedule.js";
export type { TurnRefusal } from "./turn.js";
export { turnCallOf } from "./turn.js";
