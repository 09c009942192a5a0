import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { describeError, ensurePrivateDir, type PoolGauges, poolGauges } from "@taos/internal";
import type { Sink, TurnResult } from "@taos/opencode-adapter";
import type { SlotContext } from "./acquire.js";
import { AgentRecord } from "./agent.js";
import type { ArchiveSource } from "./archive-import.js";
import type { ArchiveManifest } from "./archive-rules.js";
import { disposeStaleDirectories } from "./directories.js";
import { AgentExistsError, PoolClosedError, UnknownAgentError } from "./errors.js";
import { PoolEmitter, type PoolEventName, type PoolListener } from "./events.js";
import { exportAgentHome } from "./export-agent.js";
import { importAgentHome } from "./import-agent.js";
import { defaultLauncher } from "./launcher.js";
import { ServerLifecycle } from "./lifecycle.js";
import { type ExportOptions, type ImportOptions, validateLimits } from "./mobility.js";
import {
  type AgentSettings,
  type OpenCodePoolOptions,
  type ResolvedPoolOptions,
  resolvePoolOptions,
  validateAgentId,
  validateAgentSettings,
} from "./options.js";
import { holdsSlot } from "./phase.js";
import { poolTurn } from "./pool-turn.js";
import { WaitQueue } from "./queue.js";
import { shutDown } from "./shutdown.js";
import { collectStats, type PoolStats } from "./stats.js";
import { type PoolTurnCall, type PoolTurnOptions, turnCallOf } from "./turn.js";
import { warmAgent } from "./warm.js";

type PoolState = "open" | "closing" | "closed";

export interface CloseOptions {
  /** How long running turns may go on before they are aborted. @default 5000 */
  readonly graceMs?: number;
}

/**
 * Many agents' opencode servers on one host: started on demand, at most
 * `maxServers` (and under `memoryBudgetMiB`) at once, an idle one stopped to make
 * room (one whose agent does not come back first, then the least recently used), turns queued FIFO when every server is busy.
 */
export class OpenCodePool {
  readonly #options: ResolvedPoolOptions;
  readonly #agents = new Map<string, AgentRecord>();
  readonly #queue = new WaitQueue();
  readonly #emitter: PoolEmitter;
  readonly #turns = new Set<Promise<unknown>>();
  readonly #importing = new Set<string>();
  readonly #shutdown = new AbortController();
  #state: PoolState = "open";
  #closing: Promise<void> | undefined;
  readonly #servers: ServerLifecycle;
  readonly #slots: SlotContext;
  readonly #gauges: PoolGauges;

  /** Validates every option (throwing `InvalidPoolOptionError`); starts nothing. */
  constructor(options: OpenCodePoolOptions) {
    this.#options = resolvePoolOptions(options);
    const { logger } = this.#options;
    this.#emitter = new PoolEmitter((name, error) =>
      logger.error({ event: name, err: describeError(error) }, "a pool event listener threw"),
    );
    const launcher = this.#options.launcher ?? defaultLauncher(this.#options);
    this.#servers = new ServerLifecycle(
      this.#options,
      launcher,
      this.#agents,
      this.#queue,
      this.#emitter,
    );
    this.#slots = {
      agents: this.#agents,
      queue: this.#queue,
      emitter: this.#emitter,
      servers: this.#servers,
      maxServers: this.#options.maxServers,
    };
    // Read at each metrics collection: a count over the agents, no /proc reads.
    this.#gauges = poolGauges(() => ({
      servers: [...this.#agents.values()].filter((record) => holdsSlot(record.phase)).length,
      queued: this.#queue.length,
    }));
  }

  /** Adds an agent and creates its home `<root>/<agentId>` (0700). Starts nothing. */
  async register(agentId: string, settings: AgentSettings): Promise<void> {
    validateAgentId(agentId, "register.agentId");
    const checked = validateAgentSettings(settings, this.#options, "register.settings");
    if (this.#state !== "open") throw new PoolClosedError("register");
    if (this.#agents.has(agentId) || this.#importing.has(agentId))
      throw new AgentExistsError(agentId);
    const home = join(this.#options.root, agentId);
    const record = new AgentRecord(agentId, home, { ...checked }, this.#options.wedgedAfter);
    this.#agents.set(agentId, record);
    try {
      await ensurePrivateDir(home);
    } catch (error) {
      this.#agents.delete(agentId);
      throw error;
    }
  }

  /**
   * New settings (key, models, cwd, permission), taken at the agent's next
   * start; an idle server is stopped now, a busy one when its turns end.
   */
  async update(agentId: string, settings: Partial<AgentSettings>): Promise<void> {
    const record = this.#record(agentId, "update");
    const merged = validateAgentSettings(
      { ...record.settings, ...settings },
      this.#options,
      "update.settings",
    );
    record.settings = { ...merged };
    record.configVersion += 1;
    if (record.phase === "idle") await this.#servers.stop(record, "updated");
  }

  /** Removes an agent: its queued and running turns end, its server stops; `deleteHome` removes its home. */
  async unregister(
    agentId: string,
    options: { readonly deleteHome?: boolean } = {},
  ): Promise<void> {
    const record = this.#record(agentId, "unregister");
    this.#agents.delete(agentId);
    this.#queue.settleAll("retry", agentId);
    record.abort.abort(new Error(`agent ${agentId} was unregistered`));
    await this.#servers.stopAndSettle(record, "unregistered");
    if (options.deleteHome === true) await rm(record.home, { recursive: true, force: true });
    this.#servers.pump();
  }

  /** Lets a `failing` agent start again (its exit history is forgotten). */
  reset(agentId: string): void {
    const record = this.#record(agentId, "reset");
    record.exitTimes = [];
    record.retryAt = 0;
    // An agent that is not failing has nothing to reset.
    record.tryTransition("reset");
  }

  /**
   * Runs one turn on the agent's server, starting it if needed. Same contract
   * as `driveTurn`: never rejects, exactly one terminal reply. Pool refusals
   * are error replies with a code: `pool_closed`, `unknown_agent`,
   * `agent_failing`, `pool_busy`, `invalid_input`, `aborted`.
   *
   * ```ts
   * await pool.turn("agent-1", "Hello", { traceId: "t-1", sink: (reply) => send(reply) });
   * ```
   */
  turn(agentId: string, text: string, call: PoolTurnCall): Promise<TurnResult>;
  /** @deprecated pass `{ traceId, sink, ...options }` as the third argument */
  turn(
    agentId: string,
    text: string,
    traceId: string,
    sink: Sink,
    options?: PoolTurnOptions,
  ): Promise<TurnResult>;
  turn(
    agentId: string,
    text: string,
    call: PoolTurnCall | string,
    sink?: Sink,
    options: PoolTurnOptions = {},
  ): Promise<TurnResult> {
    const { traceId, sink: target, ...own } = turnCallOf(call, sink, options);
    const context = {
      options: this.#options,
      slots: this.#slots,
      open: this.#state === "open",
      shutdown: this.#shutdown.signal,
    };
    const done = poolTurn(context, agentId, text, traceId, target, own);
    this.#turns.add(done);
    void done.finally(() => this.#turns.delete(done));
    return done;
  }

  /**
   * Starts the agent's server and bootstraps its opencode instance now, so its
   * next turn pays neither. Rejects with `PoolRefusedError` (a turn refusal's
   * `code`) when the pool cannot start it.
   */
  warm(agentId: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    const record = this.#record(agentId, "warm");
    const signals = [this.#shutdown.signal, record.abort.signal];
    const signal = AbortSignal.any(options.signal ? [options.signal, ...signals] : signals);
    return warmAgent(this.#slots, record, signal, this.#options.queueTimeoutMs);
  }

  /**
   * The agent's home as a gzip tar (a Node `Readable`): manifest, database copied with
   * the server stopped, sessions; no key, logs or caches. Waits for running turns
   * (`AgentBusyError` after `waitMs`); turns wait while the home is copied.
   */
  exportAgent(agentId: string, options: ExportOptions = {}): Promise<Readable> {
    const record = this.#record(agentId, "exportAgent");
    const { waitMs = 30_000, signal } = options;
    return exportAgentHome(record, this.#servers, this.#options.binary, waitMs, signal);
  }

  /**
   * Registers an agent from an `exportAgent` archive; the key and models come
   * from `settings`. Every entry is checked before it is written
   * (`InvalidArchiveError`); the home is unpacked aside and renamed into place.
   */
  async importAgent(
    agentId: string,
    archive: ArchiveSource,
    settings: AgentSettings,
    options: ImportOptions = {},
  ): Promise<ArchiveManifest> {
    validateAgentId(agentId, "importAgent.agentId");
    const checked = validateAgentSettings(settings, this.#options, "importAgent.settings");
    validateLimits(options.limits, "importAgent.options.limits");
    if (this.#state !== "open") throw new PoolClosedError("importAgent");
    if (this.#agents.has(agentId) || this.#importing.has(agentId))
      throw new AgentExistsError(agentId);
    this.#importing.add(agentId);
    try {
      const { root, binary, wedgedAfter } = this.#options;
      const manifest = await importAgentHome(root, agentId, archive, checked, options, binary);
      const home = join(root, agentId);
      this.#agents.set(agentId, new AgentRecord(agentId, home, { ...checked }, wedgedAfter));
      return manifest;
    } finally {
      this.#importing.delete(agentId);
    }
  }

  /** Per agent (phase, pid, RSS, turns, starts, exits) and totals. RSS only on Linux. */
  stats(): Promise<PoolStats> {
    return collectStats([...this.#agents.values()], {
      queued: this.#queue.length,
      evictions: this.#servers.evictions,
    });
  }

  /** Subscribes to `start`, `stop`, `exit`, `queue` or `dispose`; returns the unsubscribe function. */
  on<K extends PoolEventName>(name: K, listener: PoolListener<K>): () => void {
    return this.#emitter.on(name, listener);
  }

  /** Frees the opencode instances of directories unused for `idleStopMs`. */
  disposeIdleDirectories(): Promise<void> {
    return disposeStaleDirectories(
      [...this.#agents.values()],
      this.#options.idleStopMs,
      this.#emitter,
      this.#options.logger,
    );
  }

  /**
   * No new turns; running turns get `graceMs` to end, then are aborted; every
   * server stops. Safe to call twice.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options);
    return this.#closing;
  }

  async #close(options: CloseOptions): Promise<void> {
    this.#state = "closing";
    await shutDown(
      {
        queue: this.#queue,
        turns: this.#turns,
        shutdown: this.#shutdown,
        agents: this.#agents,
        servers: this.#servers,
        gauges: this.#gauges,
      },
      options.graceMs ?? 5_000,
    );
    this.#state = "closed";
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #record(agentId: string, what: string): AgentRecord {
    validateAgentId(agentId, `${what}.agentId`);
    if (this.#state !== "open") throw new PoolClosedError(what);
    const record = this.#agents.get(agentId);
    if (record === undefined) throw new UnknownAgentError(agentId);
    return record;
  }
}
