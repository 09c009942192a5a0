import { isRecord, recordServerExit } from "@taos/internal";
import type { PermissionConfig } from "@taos/opencode-config";
import type { ExitInfo, OpenCodeChild } from "./child.js";
import { InvalidServerOptionError, OpenCodeStoppedError } from "./errors.js";
import { startDeadlineFor } from "./first-start.js";
import { Flight } from "./flight.js";
import { startTimeoutError } from "./launch.js";
import {
  type ResolvedOptions,
  resolveOptions,
  validateLiteLLM,
  validateMs,
  validateSignal,
} from "./options.js";
import { HEALTH_TIMEOUT_MS, HealthClient } from "./readiness.js";
import { findServerBinary, runStart, type StartPlan, type StartState } from "./start.js";
import type {
  ConfigUpdate,
  EnsureRunningOptions,
  ExitListener,
  HealthCheckOptions,
  OpenCodeServerOptions,
  RestartOptions,
  ServerAuth,
  StopOptions,
} from "./types.js";

const DEFAULT_GRACE_MS = 5_000;

/**
 * The lifecycle, one value at a time. `starting` keeps the child that was
 * running (it still serves while its health is checked, and stays when the
 * check is only abandoned) and the child of the attempt in progress.
 */
type Phase =
  | { readonly name: "stopped" }
  | ({ readonly name: "starting"; readonly flight: Flight<OpenCodeChild> } & StartState)
  | { readonly name: "running"; readonly child: OpenCodeChild }
  | { readonly name: "stopping"; readonly done: Promise<void> };

const STOPPED: Phase = { name: "stopped" };

/**
 * Owns one `opencode serve` process: writes its config, starts it in its own
 * process group on a port it picked, waits until it is ready, watches it, and
 * stops it (and everything it started). See the README for the details.
 */
export class OpenCodeServer {
  readonly #options: ResolvedOptions;
  readonly #exitListeners = new Set<ExitListener>();
  readonly #health = new HealthClient(() => this.authHeader());
  #phase: Phase = STOPPED;
  #binary: string | undefined;
  #version: string | undefined;
  /** Children of this server that became ready: after the first, a start is a restart. */
  #launched = 0;

  /** Validates every option (throwing `InvalidServerOptionError`); starts nothing. */
  constructor(options: OpenCodeServerOptions) {
    this.#options = resolveOptions(options);
  }

  /** The child that serves now, if any. */
  get #child(): OpenCodeChild | undefined {
    const phase = this.#phase;
    if (phase.name === "running") return phase.child;
    return phase.name === "starting" ? phase.current : undefined;
  }

  /** `http://host:port` of the running server. */
  get baseUrl(): string | undefined {
    return this.#child?.baseUrl;
  }

  get port(): number | undefined {
    return this.#child?.port;
  }

  /** The pid of the process this server owns: opencode, or bwrap when sandboxed. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** opencode's version, from its last health answer (or `opencode --version`). */
  get version(): string | undefined {
    return this.#version;
  }

  /** The Basic-auth credentials, or null for a server started without a password. */
  get auth(): ServerAuth | null {
    const { username, password } = this.#options;
    return password === null ? null : { username, password };
  }

  /** The `Authorization` header value for requests to this server (undefined without auth). */
  authHeader(): string | undefined {
    const auth = this.auth;
    if (!auth) return undefined;
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  }

  /** True while a started server's process is alive. */
  isRunning(): boolean {
    const child = this.#child;
    return child !== undefined && child.exit === undefined;
  }

  /** Listens for exits nobody asked for (a crash, an outside kill). Returns the unsubscribe function. */
  onExit(listener: ExitListener): () => void {
    if (typeof listener !== "function") {
      throw new InvalidServerOptionError({
        field: "onExit.listener",
        message: "must be a function",
      });
    }
    this.#exitListeners.add(listener);
    return () => {
      this.#exitListeners.delete(listener);
    };
  }

  /**
   * New LiteLLM settings or permissions, validated now, written on the next
   * start: call `restart()` to apply them to a running server.
   */
  updateConfig(update: ConfigUpdate): void {
    if (!isRecord(update)) {
      throw new InvalidServerOptionError({
        field: "updateConfig",
        message: "must be an object with litellm and/or permission",
      });
    }
    const litellm = update.litellm ?? this.#options.litellm;
    const permission = "permission" in update ? update.permission : this.#options.permission;
    this.#options.litellm = validateLiteLLM(litellm, permission);
    this.#options.permission = permission as PermissionConfig | undefined;
  }

  /**
   * Makes sure the server is up and healthy. Idempotent and single-flight:
   * concurrent calls share one start. A healthy child is kept; a live but
   * unhealthy one is stopped and replaced. The start is bounded by the
   * deadline of the call that began it; a call that joins waits at most its
   * own deadline, and a start every waiter has given up on is abandoned
   * (its child killed).
   */
  async ensureRunning(options: EnsureRunningOptions = {}): Promise<void> {
    // The default is longer for the first start in a home (opencode creates its database).
    const deadlineMs =
      options.deadlineMs === undefined
        ? startDeadlineFor(this.#options.home)
        : validateMs(options.deadlineMs, "deadlineMs", 0);
    const signal = validateSignal(options.signal, "signal");
    signal?.throwIfAborted();
    const phase = this.#phase;
    if (phase.name === "starting") {
      const error = () => startTimeoutError(deadlineMs, phase.attempt);
      await phase.flight.join(signal, { ms: deadlineMs, error });
      return;
    }
    const current = phase.name === "running" ? phase.child : undefined;
    const stopping = phase.name === "stopping" ? phase.done : undefined;
    const starting: Phase & { name: "starting" } = {
      name: "starting",
      flight: new Flight(
        (flightSignal) => runStart(this.#plan(starting, deadlineMs, stopping), flightSignal),
        () => this.#settle(starting, undefined),
      ),
      current,
      attempt: undefined,
    };
    this.#phase = starting;
    starting.flight.promise.then(
      (child) => this.#settle(starting, child),
      () => this.#settle(starting, undefined),
    );
    await starting.flight.join(signal);
  }

  /**
   * SIGTERM to the child's process group, SIGKILL after `graceMs`; resolves
   * when the process is gone. A start in progress is abandoned. Safe to call
   * twice, and before any start.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    const graceMs = validateMs(options.graceMs, "graceMs", DEFAULT_GRACE_MS, true);
    const from = this.#phase;
    if (from.name === "stopping") return from.done;
    const stopping: Phase = { name: "stopping", done: this.#stop(from, graceMs) };
    this.#phase = stopping;
    try {
      await stopping.done;
    } finally {
      if (this.#phase === stopping) this.#phase = STOPPED;
    }
  }

  /** `stop()` then `ensureRunning()`: the config is written again, so new settings apply. */
  async restart(options: RestartOptions = {}): Promise<void> {
    await this.stop(options.graceMs === undefined ? {} : { graceMs: options.graceMs });
    await this.ensureRunning(options);
  }

  /** One health request to the running server; false when it is not running or not healthy. */
  async healthCheck(options: HealthCheckOptions = {}): Promise<boolean> {
    const timeoutMs = validateMs(options.timeoutMs, "timeoutMs", HEALTH_TIMEOUT_MS);
    const signal = validateSignal(options.signal, "signal");
    const child = this.#child;
    if (!child || child.exit) return false;
    const health = await this.#health.check(child, signal, timeoutMs);
    if (health.ok && health.version) this.#version = health.version;
    return health.ok;
  }

  /** The end of a start: running with its child, or back to the child that ran before (if alive). */
  #settle(starting: Phase & { name: "starting" }, child: OpenCodeChild | undefined): void {
    if (this.#phase !== starting) return;
    if (child !== undefined && child !== starting.current) this.#launched += 1;
    const next = child ?? (starting.current?.exit ? undefined : starting.current);
    this.#phase = next ? { name: "running", child: next } : STOPPED;
  }

  #plan(state: StartState, deadlineMs: number, stopping: Promise<void> | undefined): StartPlan {
    const options = this.#options;
    return {
      options,
      health: this.#health,
      state,
      deadlineMs,
      stopping,
      binary: async (signal) => {
        this.#binary ??= await findServerBinary(options, signal);
        return this.#binary;
      },
      onVersion: (version) => {
        this.#version = version;
      },
      onUnexpectedExit: (child, info) => this.#onUnexpectedExit(child, info),
      operation: this.#launched > 0 ? "restart" : "start",
    };
  }

  async #stop(from: Phase, graceMs: number): Promise<void> {
    let child: OpenCodeChild | undefined;
    if (from.name === "starting") {
      child = from.current;
      await from.flight.abort(new OpenCodeStoppedError());
    } else if (from.name === "running") {
      child = from.child;
    }
    await child?.terminate(graceMs);
    await this.#health.close();
  }

  #onUnexpectedExit(child: OpenCodeChild, info: ExitInfo): void {
    const phase = this.#phase;
    if (phase.name === "running" && phase.child === child) this.#phase = STOPPED;
    if (phase.name === "starting" && phase.current === child) phase.current = undefined;
    const { logger } = this.#options;
    logger.warn(
      { pid: child.pid, code: info.code, signal: info.signal },
      "opencode exited unexpectedly",
    );
    recordServerExit({ exitCode: info.code, signal: info.signal });
    for (const listener of this.#exitListeners) {
      try {
        listener(info);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.error({ error: message }, "an onExit listener threw");
      }
    }
  }
}
