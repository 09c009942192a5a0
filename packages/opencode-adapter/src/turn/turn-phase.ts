/**
 * `ready` → `waiting_user_message` (prompt sent) → `running` (its user message seen)
 * → `aborting` (abort sent, or the retry budget spent) → `ending` (an end check is
 * under way) → `done`. A dropped stream does not change the phase: the recovery gate
 * holds frames while it catches up.
 */
export type TurnPhase =
  | "ready"
  | "waiting_user_message"
  | "running"
  | "aborting"
  | "ending"
  | "done";

/** True once frames no longer reach the turn: it has ended, or an end check decides how. */
export function ignoresFrames(phase: TurnPhase): boolean {
  return phase === "done" || phase === "ending";
}
