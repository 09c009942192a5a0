import type { ConnectionHold } from "@taos/opencode-adapter";
import { DEFAULT_WEDGED_AFTER, WedgeWatch } from "@taos/opencode-turn/internals";
import type { LaunchedServer } from "./launcher.js";
import type { AgentSettings } from "./options.js";
import { type AgentPhase, ImpossibleTransitionError, nextPhase, type PhaseEvent } from "./phase.js";

/** One registered agent: its settings, its phase and its server. */
export class AgentRecord {
  readonly agentId: string;
  readonly home: string;
  settings: AgentSettings;
  #phase: AgentPhase = "stopped";
  server: LaunchedServer | undefined;
  #unsubscribeExit: (() => void) | undefined;
  /** The server's connection, kept open between turns (each turn's adapter would close it). */
  #connection: ConnectionHold | undefined;
  /** Bumped by `update`; a server launched with an older version is replaced once idle. */
  configVersion = 0;
  launchedVersion = -1;
  runningTurns = 0;
  /** When its last turn ended or its server became ready (ms since the epoch). */
  lastUsedAt = 0;
  /** When its last turn ended (ms since the epoch); 0 before the first. */
  lastTurnAt = 0;
  /** The pool's use counter at that moment: orders agents for LRU eviction (a clock can tie). */
  lastUseSeq = 0;
  /** The pool's turn counter at the end of each of its recent turns, oldest first, for `recentTurns`. */
  readonly turnSeqs: number[] = [];
  turns = 0;
  starts = 0;
  unexpectedExits = 0;
  lastExit: string | undefined;
  /** Unexpected exits and failed starts, for the restart policy. */
  exitTimes: number[] = [];
  /** No start before this time (the restart back-off). */
  retryAt = 0;
  idleTimer: NodeJS.Timeout | undefined;
  /** Directories other than cwd that turns used: running turns and when the last one ended. */
  readonly directories: Map<string, { active: number; lastUsed: number }> = new Map();
  directoryTimer: NodeJS.Timeout | undefined;
  /** Aborted by `unregister` and `close`: ends this agent's starts and turns. */
  readonly abort: AbortController = new AbortController();
  /** Its turns that ended with no answer from opencode, in a row. */
  readonly wedge: WedgeWatch;
  /** Servers stopped because they were wedged. */
  wedgedStops = 0;
  #changed: Promise<void>;
  #notify: () => void = () => undefined;

  constructor(
    agentId: string,
    home: string,
    settings: AgentSettings,
    wedgedAfter: number = DEFAULT_WEDGED_AFTER,
  ) {
    this.agentId = agentId;
    this.home = home;
    this.settings = settings;
    this.wedge = new WedgeWatch(wedgedAfter);
    this.#changed = this.#nextChange();
  }

  get phase(): AgentPhase {
    return this.#phase;
  }

  /**
   * Applies a named transition the caller knows can happen; throws
   * `ImpossibleTransitionError` when it cannot (a bug: loud, never silent).
   */
  transition(event: PhaseEvent): void {
    if (!this.tryTransition(event))
      throw new ImpossibleTransitionError(this.agentId, this.#phase, event);
  }

  /**
   * Applies a named transition when it can happen in this phase; false (nothing changed)
   * otherwise. For the callers to whom either outcome is expected: they check it.
   */
  tryTransition(event: PhaseEvent): boolean {
    const to = nextPhase(this.#phase, event);
    if (to === undefined) return false;
    this.#phase = to;
    const notify = this.#notify;
    this.#changed = this.#nextChange();
    notify();
    return true;
  }

  /** Resolves at the next phase change. */
  changed(): Promise<void> {
    return this.#changed;
  }

  attach(
    server: LaunchedServer,
    onExit: (description: string) => void,
    connection: ConnectionHold | undefined,
  ): void {
    this.server = server;
    this.#unsubscribeExit = server.onExit?.(onExit);
    this.#connection = connection;
  }

  /** Forgets the server (it stopped or died) and lets its connection go; returns it for stopping. */
  detach(): LaunchedServer | undefined {
    const server = this.server;
    this.#unsubscribeExit?.();
    this.#unsubscribeExit = undefined;
    // Closed before the server stops, so its stream ends as asked, not as a drop.
    void this.#connection?.release().catch(() => undefined);
    this.#connection = undefined;
    this.server = undefined;
    this.directories.clear();
    this.clearTimers();
    return server;
  }

  clearTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.directoryTimer);
    this.idleTimer = undefined;
    this.directoryTimer = undefined;
  }

  #nextChange(): Promise<void> {
    return new Promise((resolve) => {
      this.#notify = resolve;
    });
  }
}
