/**
 * The one state of an agent in the pool. `stopping` is the short span between
 * asking a server to stop and its process being gone: it still holds its slot.
 * `held` keeps a stopped agent stopped while its home is read (export): turns wait.
 */
export type AgentPhase = "stopped" | "starting" | "idle" | "busy" | "stopping" | "failing" | "held";

/** The names of the transitions between phases. */
export type PhaseEvent =
  | "launch"
  | "ready"
  | "launchFailed"
  | "turnBegan"
  | "turnsDone"
  | "stop"
  | "stopped"
  | "exited"
  | "giveUp"
  | "reset"
  | "hold"
  | "unhold";

/** One transition: the phases it may leave and the phase it enters. */
export interface PhaseTransition {
  readonly from: readonly AgentPhase[];
  readonly to: AgentPhase;
}

/** The named transitions between phases and the phases each may leave. */
export const PHASE_TRANSITIONS: { readonly [E in PhaseEvent]: PhaseTransition } = {
  /** A turn needs the server and got a slot. */
  launch: { from: ["stopped"], to: "starting" },
  /** The launcher answered: the server takes turns. */
  ready: { from: ["starting"], to: "idle" },
  /** The launch failed; the restart policy allows another try. */
  launchFailed: { from: ["starting"], to: "stopped" },
  turnBegan: { from: ["idle", "busy"], to: "busy" },
  /** The last running turn ended. */
  turnsDone: { from: ["busy"], to: "idle" },
  /** Idle stop, eviction, update, unregister or shutdown. */
  stop: { from: ["starting", "idle", "busy"], to: "stopping" },
  stopped: { from: ["stopping"], to: "stopped" },
  /** The server died without being asked to. */
  exited: { from: ["idle", "busy"], to: "stopped" },
  /** The restart policy gave up: turns get an error reply until `reset`. */
  giveUp: { from: ["stopped", "starting"], to: "failing" },
  reset: { from: ["failing"], to: "stopped" },
  /** An export reads the home: no server may start until `unhold`. */
  hold: { from: ["stopped"], to: "held" },
  unhold: { from: ["held"], to: "stopped" },
};

/** The phase after `event`, or undefined when `event` cannot happen in `phase`. */
export function nextPhase(phase: AgentPhase, event: PhaseEvent): AgentPhase | undefined {
  const transition = PHASE_TRANSITIONS[event];
  if (transition === undefined || !transition.from.includes(phase)) return undefined;
  return transition.to;
}

/** A transition asked for in a phase it cannot leave: a bug in the pool, never a user's error. */
export class ImpossibleTransitionError extends Error {
  readonly phase: AgentPhase;
  readonly event: PhaseEvent;

  constructor(agentId: string, phase: AgentPhase, event: PhaseEvent) {
    super(`agent ${agentId}: transition "${event}" cannot happen in phase "${phase}"`);
    this.name = "ImpossibleTransitionError";
    this.phase = phase;
    this.event = event;
  }
}

/** True for the phases in which a server exists (or is being started or stopped): it holds a slot. */
export function holdsSlot(phase: AgentPhase): boolean {
  return phase === "starting" || phase === "idle" || phase === "busy" || phase === "stopping";
}
