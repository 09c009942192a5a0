import { performance } from "node:perf_hooks";
import { describeError, type OpenCodeLogger, Redactor, startHeal } from "@taos/internal";
import { type ConnectionHold, holdConnection } from "@taos/opencode-adapter";
import type { WedgedTurn } from "@taos/opencode-turn";
import type { AgentRecord } from "./agent.js";
import type { PoolEmitter } from "./events.js";
import type { LaunchedServer, Launcher } from "./launcher.js";
import type { ResolvedPoolOptions } from "./options.js";
import type { WaitQueue } from "./queue.js";
import { decideRestart, RECENT_TURNS_PER_SERVER, type StopReason } from "./schedule.js";
import { SlotScheduler } from "./scheduler.js";

/**
 * The servers' side of the pool: launches, unexpected exits, stops and idle
 * timers. The queue pump that hands out slots is the `SlotScheduler`'s.
 */
export class ServerLifecycle {
  readonly #options: ResolvedPoolOptions;
  readonly #launcher: Launcher;
  readonly #emitter: PoolEmitter;
  readonly #scheduler: SlotScheduler;
  #evictions = 0;
  #useSeq = 0;
  #turnSeq = 0;

  constructor(
    options: ResolvedPoolOptions,
    launcher: Launcher,
    agents: ReadonlyMap<string, AgentRecord>,
    queue: WaitQueue,
    emitter: PoolEmitter,
  ) {
    this.#options = options;
    this.#launcher = launcher;
    this.#emitter = emitter;
    this.#scheduler = new SlotScheduler(
      options,
      agents,
      queue,
      (record, reason) => this.stop(record, reason),
      () => this.#turnSeq,
    );
  }

  /** Idle servers stopped to make room (for the count or the memory budget). */
  get evictions(): number {
    return this.#evictions;
  }

  /** Starts the agent's server; the phase is `starting` and a slot is held. Never throws. */
  async launch(record: AgentRecord): Promise<void> {
    const version = record.configVersion;
    const { settings } = record;
    const began = performance.now();
    let server: LaunchedServer;
    try {
      server = await this.#launcher.launch({
        agentId: record.agentId,
        home: record.home,
        cwd: settings.cwd ?? record.home,
        litellm: {
          baseURL: this.#options.baseURL,
          providerId: this.#options.providerId,
          apiKey: settings.apiKey,
          modelIds: settings.modelIds,
        },
        permission: settings.permission ?? this.#options.permission,
        user: settings.user,
        signal: record.abort.signal,
      });
    } catch (error) {
      // Aborted by unregister/close: `stopping` when a stop asked first, else still `starting`.
      if (record.abort.signal.aborted)
        record.tryTransition("stopped") || record.tryTransition("launchFailed");
      else this.#recordExit(record, `start failed: ${describeError(error, [settings.apiKey])}`);
      this.pump();
      return;
    }
    if (record.phase !== "starting") {
      // Unregistered or shut down while it started.
      await server.stop().catch(() => undefined);
      record.transition("stopped");
      this.pump();
      return;
    }
    const connection = holdServerConnection(server, this.#options.logger);
    record.attach(
      server,
      (description) => {
        if (record.server !== server) return;
        record.detach();
        this.#recordExit(record, description);
        this.pump();
      },
      connection,
    );
    record.launchedVersion = version;
    record.starts += 1;
    this.touch(record);
    record.transition("ready");
    this.armIdleStop(record);
    const startMs = performance.now() - began;
    this.#emitter.emit("start", { agentId: record.agentId, pid: server.pid, startMs });
    this.#options.logger.info(
      { agentId: record.agentId, pid: server.pid, startMs },
      "agent server started",
    );
  }

  /** An unexpected exit or a failed start: back off, or give up once the policy says so. */
  #recordExit(record: AgentRecord, description: string): void {
    const now = Date.now();
    const message = new Redactor([record.settings.apiKey]).redact(description);
    record.exitTimes.push(now);
    record.exitTimes = record.exitTimes.filter((at) => now - at < this.#options.restart.windowMs);
    record.unexpectedExits += 1;
    record.lastExit = message;
    const decision = decideRestart(record.exitTimes, now, this.#options.restart);
    const failing = decision.kind === "failing";
    if (!failing) record.retryAt = now + decision.delayMs;
    if (record.phase === "starting") {
      // Its start failed.
      record.transition(failing ? "giveUp" : "launchFailed");
    } else {
      // Its running server (idle or busy) died.
      record.transition("exited");
      if (failing) record.transition("giveUp");
    }
    const retryInMs = failing ? 0 : decision.delayMs;
    this.#emitter.emit("exit", {
      agentId: record.agentId,
      description: message,
      failing,
      retryInMs,
    });
    this.#options.logger.warn(
      { agentId: record.agentId, exit: message, failing, retryInMs },
      "agent server exited unexpectedly",
    );
  }

  async stop(record: AgentRecord, reason: StopReason): Promise<void> {
    const wasStarting = record.phase === "starting";
    // Already stopping, stopped or failing: nothing to stop.
    if (!record.tryTransition("stop")) return;
    const server = record.detach();
    if (reason === "evicted" || reason === "budget") this.#evictions += 1;
    this.#emitter.emit("stop", { agentId: record.agentId, reason });
    this.#options.logger.info({ agentId: record.agentId, reason }, "agent server stopping");
    // A start in progress ends in #launch, which sees the phase and finishes the stop.
    if (wasStarting) return;
    try {
      await server?.stop();
    } catch (error) {
      this.#options.logger.warn(
        { agentId: record.agentId, err: describeError(error) },
        "agent server stop failed",
      );
    }
    record.transition("stopped");
    this.pump();
  }

  /** Stops the agent's server whatever its phase and waits until no process is left. */
  async stopAndSettle(record: AgentRecord, reason: StopReason): Promise<void> {
    await this.stop(record, reason);
    while (record.phase === "starting" || record.phase === "stopping") await record.changed();
  }

  /** Stops a server whose turns opencode keeps leaving unanswered: the next turn starts it fresh. */
  async stopWedged(record: AgentRecord, wedged: WedgedTurn): Promise<boolean> {
    const { agentId } = record;
    this.#options.logger.warn(
      { agentId, traceId: wedged.traceId, code: wedged.code, turns: wedged.turns },
      "agent server is wedged (opencode takes prompts and answers none): restarting it",
    );
    const telemetry = startHeal({ code: wedged.code, turns: wedged.turns, agentId });
    await this.stopAndSettle(record, "wedged");
    record.wedgedStops += 1;
    const stopped = record.phase === "stopped" && !record.abort.signal.aborted;
    telemetry.done(stopped ? "restarted" : "failed");
    return stopped;
  }

  touch(record: AgentRecord): void {
    this.#useSeq += 1;
    record.lastUseSeq = this.#useSeq;
    record.lastUsedAt = Date.now();
  }

  /** A turn of the agent ended: the pool's turn counter moves, the agent keeps what `recentTurns` looks at. */
  countTurn(record: AgentRecord): void {
    this.#turnSeq += 1;
    record.turnSeqs.push(this.#turnSeq);
    // Older ones are out of the window: at most that many can be in it.
    if (record.turnSeqs.length > RECENT_TURNS_PER_SERVER * this.#options.maxServers) {
      record.turnSeqs.shift();
    }
  }

  armIdleStop(record: AgentRecord): void {
    clearTimeout(record.idleTimer);
    record.idleTimer = setTimeout(() => {
      if (record.phase === "idle") void this.stop(record, "idle");
    }, this.#options.idleStopMs);
    record.idleTimer.unref();
  }

  /** Serves the queue (see `SlotScheduler`). */
  pump(): void {
    this.#scheduler.pump();
  }
}

/**
 * The server's connection, held open while it runs: each turn's adapter would otherwise
 * open its event stream and close it again. None when a launcher's URL is no URL (the
 * turn's adapter then refuses it with the field named).
 */
function holdServerConnection(
  server: LaunchedServer,
  logger: OpenCodeLogger,
): ConnectionHold | undefined {
  try {
    return holdConnection({ baseUrl: server.baseUrl, ...(server.auth ?? {}), logger });
  } catch {
    return undefined;
  }
}
