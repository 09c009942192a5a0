import { readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import {
  abortable,
  delay,
  ensurePrivateDir,
  Redactor,
  recordServerExit,
  type ServerStartTelemetry,
  startServerSpan,
} from "@taos/internal";
import { type PermissionConfig, writeOpenCodeConfig } from "@taos/opencode-config";
import { execa } from "execa";
import { Agent, request } from "undici";
import { resolveOpenCodeBinary } from "./binary.js";
import { buildServerEnv } from "./env.js";
import {
  InvalidServerOptionError,
  OpenCodeBinaryNotFoundError,
  OpenCodeExitedError,
  OpenCodeHealthError,
  OpenCodeStartTimeoutError,
  OpenCodeStoppedError,
  PortInUseError,
} from "./errors.js";
import { LogSink } from "./log-sink.js";
import {
  type EnsureRunningOptions,
  type LiteLLMOptions,
  type OpenCodeServerOptions,
  type ResolvedOptions,
  type RestartOptions,
  resolveOptions,
  type StopOptions,
  validateLiteLLM,
  validateMs,
  validateSignal,
} from "./options.js";
import { probePort } from "./port.js";
import { trackProcessGroup } from "./registry.js";
import { bwrapArgs, defaultHidden } from "./sandbox.js";
import { backoffDelays, linkedController, settlesWithin } from "./timing.js";

/** How an opencode process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Called when a ready server exits without `stop()` having asked it to. */
export type ExitListener = (info: ExitInfo) => void;

/** The Basic-auth credentials of a server. */
export interface ServerAuth {
  readonly username: string;
  readonly password: string;
}

export interface HealthCheckOptions {
  /** @default 2000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ConfigUpdate {
  readonly litellm?: LiteLLMOptions;
  readonly permission?: PermissionConfig;
}

const DEFAULT_DEADLINE_MS = 20_000;
const DEFAULT_GRACE_MS = 5_000;
const HEALTH_TIMEOUT_MS = 2_000;
// A child that failed its start or its health check gets a short grace only.
const REPLACE_GRACE_MS = 1_000;
const OUTPUT_DRAIN_MS = 500;
const MAX_BIND_ATTEMPTS = 3;
const LISTENING = /listening on https?:\/\/\S+/;
// What opencode 1.18 prints when it cannot bind ("ServeError"), and the usual wordings.
const BIND_FAILURE = /ServeError|EADDRINUSE|address already in use|port \d+ is in use/i;
// The XDG bases the isolation env points at (see env.ts), and `.local` above two of them.
const PRIVATE_STATE_DIRS = [".config", ".local", ".local/share", ".local/state", ".cache"];
const NPMRC = "# Written by @taos/opencode-server: no background plugin install.\noffline=true\n";

interface Child {
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  readonly sink: LogSink;
  readonly listening: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  /** Resolves once the exit is fully handled: group killed, output drained, log closed. */
  readonly closed: Promise<void>;
  exit: ExitInfo | undefined;
  readonly sawListening: boolean;
  /** performance.now() right after the spawn, and when the listening line came. */
  readonly spawnedAt: number;
  readonly listeningAt: number;
  ready: boolean;
  /** Runs under bubblewrap: `pid` is bwrap's, opencode runs inside. */
  readonly sandboxed: boolean;
  /** The exit was asked for (stop, replacement, failed start). */
  expected: boolean;
  healthPath: "/global/health" | "/doc";
}

interface Flight {
  readonly controller: AbortController;
  readonly promise: Promise<void>;
  waiters: number;
}

type Health =
  | { readonly ok: true; readonly version: string | undefined }
  | { readonly ok: false; readonly error: OpenCodeHealthError };

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/**
 * SIGTERM to a sandboxed child's group, bubblewrap's own processes spared:
 * bwrap dies of SIGTERM at once and, with --die-with-parent, SIGKILLs what it
 * runs, so opencode would never get its grace. bwrap exits once opencode has.
 */
function terminateSandboxedGroup(pgid: number): void {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid || comm === "bwrap") continue;
    try {
      process.kill(Number(entry), "SIGTERM");
    } catch {
      // gone meanwhile
    }
  }
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function existingDirs(paths: readonly string[]): string[] {
  return paths.filter((path) => {
    try {
      return statSync(path).isDirectory();
    } catch {
      return false;
    }
  });
}

function formatHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/**
 * Owns one `opencode serve` process: writes its config, starts it in its own
 * process group on a port it picked, waits until it is ready, watches it, and
 * stops it (and everything it started). See the README for the details.
 */
export class OpenCodeServer {
  readonly #options: ResolvedOptions;
  readonly #exitListeners = new Set<ExitListener>();
  #binary: string | undefined;
  #child: Child | undefined;
  /** The child of the start in progress, for a joining caller's timeout message. */
  #attempt: Child | undefined;
  #flight: Flight | undefined;
  #stopping: Promise<void> | undefined;
  #agent: Agent | undefined;
  #version: string | undefined;
  /** Children that became ready: after the first, a start is a restart (for telemetry). */
  #readyCount = 0;

  /** Validates every option (throwing `InvalidServerOptionError` or `ConfigValidationError`); starts nothing. */
  constructor(options: OpenCodeServerOptions) {
    this.#options = resolveOptions(options);
  }

  /** `http://host:port` of the running server. */
  get baseUrl(): string | undefined {
    return this.#child?.baseUrl;
  }

  get port(): number | undefined {
    return this.#child?.port;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** opencode's version, from its last health answer. */
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
    return this.#child !== undefined && this.#child.exit === undefined;
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
    const litellm = update.litellm ?? this.#options.litellm;
    const permission = "permission" in update ? update.permission : this.#options.permission;
    this.#options.litellm = validateLiteLLM(litellm, permission);
    this.#options.permission = permission;
  }

  /**
   * Makes sure the server is up and healthy. Idempotent and single-flight:
   * concurrent calls share one start. A healthy child is kept; a live but
   * unhealthy one is stopped and replaced. The start is bounded by the
   * deadline of the call that began it; a call that joins waits at most its
   * own deadline, and a start every waiter has given up on is abandoned
   * (its child killed).
   */
  ensureRunning(options: EnsureRunningOptions = {}): Promise<void> {
    let deadlineMs: number;
    let signal: AbortSignal | undefined;
    try {
      deadlineMs = validateMs(options.deadlineMs, "deadlineMs", DEFAULT_DEADLINE_MS);
      signal = validateSignal(options.signal, "signal");
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const current = this.#flight;
    if (current) return this.#join(current, signal, deadlineMs);
    const controller = new AbortController();
    const flight: Flight = {
      controller,
      waiters: 0,
      promise: this.#start(deadlineMs, controller.signal).finally(() => {
        if (this.#flight === flight) this.#flight = undefined;
      }),
    };
    flight.promise.catch(() => {});
    this.#flight = flight;
    return this.#join(flight, signal, undefined);
  }

  /**
   * SIGTERM to the child's process group, SIGKILL after `graceMs`; resolves
   * when the process is gone. A start in progress is abandoned. Safe to call
   * twice, and before any start.
   */
  stop(options: StopOptions = {}): Promise<void> {
    let graceMs: number;
    try {
      graceMs = validateMs(options.graceMs, "graceMs", DEFAULT_GRACE_MS, true);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#stopping ??= this.#stop(graceMs).finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
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
    const health = await this.#health(child, signal, timeoutMs);
    if (health.ok && health.version) this.#version = health.version;
    return health.ok;
  }

  async #join(
    flight: Flight,
    signal: AbortSignal | undefined,
    deadlineMs: number | undefined,
  ): Promise<void> {
    flight.waiters += 1;
    let counted = true;
    const link = linkedController(
      [signal],
      deadlineMs === undefined
        ? undefined
        : { ms: deadlineMs, reason: () => this.#timeoutError(deadlineMs, this.#attempt) },
    );
    try {
      await abortable(flight.promise, link.controller.signal);
    } catch (error) {
      if (link.controller.signal.aborted && error === link.controller.signal.reason) {
        flight.waiters -= 1;
        counted = false;
        // The last waiter gone: abandon the start and return once its child is dead.
        if (flight.waiters === 0 && this.#flight === flight) {
          this.#flight = undefined;
          flight.controller.abort(error);
          await flight.promise.catch(() => {});
        }
      }
      throw error;
    } finally {
      link.dispose();
      if (counted) flight.waiters -= 1;
    }
  }

  #timeoutError(
    deadlineMs: number,
    child: Child | undefined,
    cause?: unknown,
  ): OpenCodeStartTimeoutError {
    return new OpenCodeStartTimeoutError({
      deadlineMs,
      sawListening: child?.sawListening ?? false,
      output: child?.sink.tail() ?? [],
      cause,
    });
  }

  async #start(deadlineMs: number, flightSignal: AbortSignal): Promise<void> {
    const begun = performance.now();
    let attempt: Child | undefined;
    let lastHealthError: OpenCodeHealthError | undefined;
    const link = linkedController([flightSignal], {
      ms: deadlineMs,
      reason: () => this.#timeoutError(deadlineMs, attempt, lastHealthError),
    });
    const signal = link.controller.signal;
    const { logger } = this.#options;
    let telemetry: ServerStartTelemetry | undefined;
    try {
      if (this.#stopping) await abortable(this.#stopping, signal);

      const current = this.#child;
      if (current && !current.exit) {
        const health = await this.#health(current, signal, HEALTH_TIMEOUT_MS);
        if (health.ok) {
          if (health.version) this.#version = health.version;
          return;
        }
        logger.warn(
          { pid: current.pid, error: health.error.message },
          "opencode is alive but unhealthy; replacing it",
        );
        current.sink.note(`unhealthy (${health.error.message}); replacing pid ${current.pid}`);
        this.#child = undefined;
        await this.#terminate(current, REPLACE_GRACE_MS);
      }

      telemetry = startServerSpan(this.#readyCount > 0 ? "restart" : "start");
      this.#binary ??= resolveOpenCodeBinary(
        this.#options.binary === undefined ? {} : { binary: this.#options.binary },
      );
      await this.#prepareHome();

      for (let tries = 1; ; tries += 1) {
        signal.throwIfAborted();
        const port = await this.#choosePort();
        signal.throwIfAborted();
        const child = await this.#spawn(this.#binary, port);
        attempt = child;
        this.#attempt = child;
        lastHealthError = undefined;
        try {
          const version = await this.#waitReady(child, signal, (error) => {
            lastHealthError = error;
          });
          child.ready = true;
          if (version) this.#version = version;
          this.#child = child;
          const now = performance.now();
          const timing = {
            ms: Math.round(now - begun),
            beforeSpawnMs: Math.round(child.spawnedAt - begun),
            toListeningMs: Math.round(child.listeningAt - child.spawnedAt),
            toHealthyMs: Math.round(now - child.listeningAt),
          };
          child.sink.note(
            `ready in ${timing.ms} ms (${timing.beforeSpawnMs} before the spawn, ${timing.toListeningMs} to the listening line, ${timing.toHealthyMs} to healthy; opencode ${version ?? "unknown version"})`,
          );
          logger.info({ pid: child.pid, port, version, ...timing }, "opencode ready");
          this.#readyCount += 1;
          telemetry.ready({
            binary: this.#binary,
            port,
            host: this.#options.hostname,
            ...(version ? { version } : {}),
            pid: child.pid,
          });
          return;
        } catch (error) {
          await this.#terminate(child, REPLACE_GRACE_MS);
          if (signal.aborted) throw signal.reason;
          if (
            OpenCodeExitedError.isInstance(error) &&
            error.output.some((line) => BIND_FAILURE.test(line))
          ) {
            if (this.#options.port !== 0) {
              if ((await this.#probe(port)) === undefined) {
                throw new PortInUseError({ port, hostname: this.#options.hostname, cause: error });
              }
            } else if (tries < MAX_BIND_ATTEMPTS) {
              logger.warn({ port, tries }, "opencode could not bind its port; trying another");
              continue;
            }
          }
          throw error;
        }
      }
    } catch (error) {
      telemetry?.failed(signal.aborted ? signal.reason : error);
      if (signal.aborted) throw signal.reason;
      throw error;
    } finally {
      link.dispose();
      if (this.#attempt === attempt) this.#attempt = undefined;
    }
  }

  async #stop(graceMs: number): Promise<void> {
    const flight = this.#flight;
    if (flight) {
      this.#flight = undefined;
      flight.controller.abort(new OpenCodeStoppedError());
      await flight.promise.catch(() => {});
    }
    const child = this.#child;
    this.#child = undefined;
    if (child) await this.#terminate(child, graceMs);
    const agent = this.#agent;
    this.#agent = undefined;
    await agent?.close();
  }

  async #prepareHome(): Promise<void> {
    const { home, litellm, permission, cwd, installPluginDependencies } = this.#options;
    // Checked first: nothing is written for a server that cannot start.
    if (cwd !== home) {
      const info = await stat(cwd).catch(() => undefined);
      if (!info?.isDirectory()) {
        throw new InvalidServerOptionError({
          field: "cwd",
          message: `"${cwd}" is not an existing directory`,
        });
      }
    }
    const configPath = await writeOpenCodeConfig(home, {
      baseURL: litellm.baseURL,
      apiKey: litellm.apiKey,
      modelIds: litellm.modelIds,
      ...(litellm.providerId === undefined ? {} : { providerId: litellm.providerId }),
      ...(permission === undefined ? {} : { permission }),
    });
    // opencode creates its database, logs and caches with the default umask (0644
    // files): private parent directories keep them from other users whatever the
    // home's own mode.
    await Promise.all(PRIVATE_STATE_DIRS.map((dir) => ensurePrivateDir(join(home, dir))));
    const npmrc = join(dirname(configPath), ".npmrc");
    if (!installPluginDependencies) {
      await writeFile(npmrc, NPMRC, { mode: 0o600 });
    } else if ((await readFile(npmrc, "utf8").catch(() => undefined)) === NPMRC) {
      await rm(npmrc, { force: true });
    }
  }

  /** Binds the port for an instant; undefined when another process holds it. */
  async #probe(port: number): Promise<number | undefined> {
    const { hostname } = this.#options;
    try {
      return await probePort(hostname, port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EACCES") {
        throw new InvalidServerOptionError({
          field: "port",
          message: `${port} needs privileges to bind`,
        });
      }
      throw new InvalidServerOptionError({
        field: "hostname",
        message: `cannot listen on "${hostname}" (${code ?? String(error)})`,
      });
    }
  }

  async #choosePort(): Promise<number> {
    const { port, hostname } = this.#options;
    const bound = await this.#probe(port);
    if (bound === undefined) throw new PortInUseError({ port, hostname });
    return bound;
  }

  async #spawn(binary: string, port: number): Promise<Child> {
    const { home, hostname, cwd, logFile, username, password, litellm, env, logger } =
      this.#options;
    const logDir = dirname(logFile);
    const inHome = !relative(home, logDir).startsWith("..");
    const redactor = new Redactor([
      litellm.apiKey,
      password ?? undefined,
      password === null ? undefined : Buffer.from(`${username}:${password}`).toString("base64"),
    ]);
    let markListening: () => void = () => {};
    const listening = new Promise<void>((resolve) => {
      markListening = resolve;
    });
    let sawListening = false;
    let listeningAt = 0;
    const sink = await LogSink.open({
      path: logFile,
      dir: logDir,
      privateDir: inHome,
      redactor,
      onLine: (line) => {
        if (sawListening || !LISTENING.test(line)) return;
        sawListening = true;
        listeningAt = performance.now();
        markListening();
      },
    });
    if (password === null) {
      logger.warn(
        { home },
        "opencode serve runs without a password: anyone who can reach its port can use it",
      );
      sink.note("no password: the server is open to anyone who can reach its port");
    }
    const serve = ["serve", "--port", String(port), "--hostname", hostname];
    const { bwrap, sandboxHide } = this.#options;
    const [command, args] =
      bwrap === undefined
        ? [binary, serve]
        : [
            bwrap,
            bwrapArgs(
              {
                home,
                cwd,
                binary: realPath(binary),
                hidden: existingDirs([...defaultHidden(home, homedir()), ...sandboxHide]),
              },
              serve,
            ),
          ];
    sink.note(`starting ${command} ${args.join(" ")} in ${cwd}`);
    const subprocess = execa(command, args, {
      cwd,
      env: buildServerEnv({ home, env, username, password }),
      extendEnv: false,
      detached: true,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      buffer: false,
      reject: false,
      cleanup: false,
    });
    const spawnedAt = performance.now();
    const pid = subprocess.pid;
    if (pid === undefined) {
      const result = await subprocess;
      const code = (result as { code?: string }).code;
      sink.note(`could not spawn: ${code ?? "unknown error"}`);
      await sink.close();
      const cause = (result as { cause?: unknown }).cause;
      if (code === "ENOENT") {
        throw new OpenCodeBinaryNotFoundError({ searched: [`${binary} (spawn: ENOENT)`], cause });
      }
      throw new OpenCodeExitedError({ exitCode: undefined, signal: undefined, output: [], cause });
    }
    // reject: false, so this settles without throwing; the exit is watched below.
    void subprocess.then(
      () => {},
      () => {},
    );
    const untrack = trackProcessGroup(pid);
    const exited = new Promise<ExitInfo>((resolve) => {
      subprocess.once("exit", (code, signal) => resolve({ code, signal }));
    });
    const child: Child = {
      pid,
      port,
      baseUrl: `http://${formatHost(hostname)}:${port}`,
      sink,
      listening,
      exited,
      closed: exited.then(async (info) => {
        child.exit = info;
        // opencode does not pass signals on to its own children: end them too.
        signalGroup(pid, "SIGKILL");
        untrack();
        await settlesWithin(sink.drained(), OUTPUT_DRAIN_MS);
        sink.note(`pid ${pid} exited (code ${info.code}, signal ${info.signal})`);
        await sink.close();
        if (child.ready && !child.expected) this.#onUnexpectedExit(child, info);
      }),
      exit: undefined,
      get sawListening() {
        return sawListening;
      },
      spawnedAt,
      get listeningAt() {
        return listeningAt;
      },
      ready: false,
      sandboxed: bwrap !== undefined,
      expected: false,
      healthPath: "/global/health",
    };
    if (subprocess.stdout) sink.attach(subprocess.stdout);
    if (subprocess.stderr) sink.attach(subprocess.stderr);
    logger.debug({ pid, port, binary }, "opencode spawned");
    return child;
  }

  #onUnexpectedExit(child: Child, info: ExitInfo): void {
    if (this.#child === child) this.#child = undefined;
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
        logger.error(
          { error: error instanceof Error ? error.message : String(error) },
          "an onExit listener threw",
        );
      }
    }
  }

  /** Resolves with opencode's version once the listening line is out and the health check passes. */
  async #waitReady(
    child: Child,
    signal: AbortSignal,
    onHealthError: (error: OpenCodeHealthError) => void,
  ): Promise<string | undefined> {
    const link = linkedController([signal]);
    const attemptSignal = link.controller.signal;
    // A child that dies during start fails the start at once, with its last words.
    void child.exited.then(async (info) => {
      if (attemptSignal.aborted || child.ready) return;
      await settlesWithin(child.sink.drained(), OUTPUT_DRAIN_MS);
      link.controller.abort(
        new OpenCodeExitedError({
          exitCode: info.code ?? undefined,
          signal: info.signal ?? undefined,
          output: child.sink.tail(),
        }),
      );
    });
    try {
      await abortable(child.listening, attemptSignal);
      for (const wait of backoffDelays()) {
        const health = await this.#health(child, attemptSignal, HEALTH_TIMEOUT_MS);
        if (health.ok) return health.version;
        onHealthError(health.error);
        await delay(wait, attemptSignal);
      }
      // backoffDelays never ends
      throw new Error("unreachable");
    } catch (error) {
      if (attemptSignal.aborted) throw attemptSignal.reason;
      throw error;
    } finally {
      link.dispose();
    }
  }

  async #health(child: Child, signal: AbortSignal | undefined, timeoutMs: number): Promise<Health> {
    const url = `${child.baseUrl}${child.healthPath}`;
    const link = linkedController([signal], {
      ms: timeoutMs,
      reason: () =>
        new OpenCodeHealthError({
          url,
          statusCode: undefined,
          isRetryable: true,
          message: `no answer within ${timeoutMs} ms`,
        }),
    });
    const requestSignal = link.controller.signal;
    this.#agent ??= new Agent({ connect: { timeout: HEALTH_TIMEOUT_MS }, keepAliveTimeout: 4_000 });
    const authorization = this.authHeader();
    try {
      const response = await request(url, {
        dispatcher: this.#agent,
        headers: authorization ? { authorization } : {},
        signal: requestSignal,
      });
      const text = await response.body.text();
      const { statusCode } = response;
      if (statusCode === 404 && child.healthPath === "/global/health") {
        // Servers older than /global/health: fall back to the OpenAPI document.
        child.healthPath = "/doc";
        return await this.#health(child, signal, timeoutMs);
      }
      if (statusCode !== 200) {
        return {
          ok: false,
          error: new OpenCodeHealthError({
            url,
            statusCode,
            isRetryable: statusCode >= 500 || statusCode === 429,
            message: `HTTP ${statusCode}`,
          }),
        };
      }
      const body = JSON.parse(text) as {
        healthy?: unknown;
        version?: unknown;
        info?: { version?: unknown };
      };
      if (child.healthPath === "/global/health" && body.healthy !== true) {
        return {
          ok: false,
          error: new OpenCodeHealthError({
            url,
            statusCode,
            isRetryable: true,
            message: "the server reports itself unhealthy",
          }),
        };
      }
      const version = child.healthPath === "/doc" ? body.info?.version : body.version;
      return { ok: true, version: typeof version === "string" ? version : undefined };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (requestSignal.aborted)
        return { ok: false, error: requestSignal.reason as OpenCodeHealthError };
      const code = (error as { code?: string }).code;
      return {
        ok: false,
        error: new OpenCodeHealthError({
          url,
          statusCode: undefined,
          isRetryable: true,
          message: code ?? (error instanceof Error ? error.message : String(error)),
          cause: error,
        }),
      };
    } finally {
      link.dispose();
    }
  }

  /** SIGTERM to the group, SIGKILL after the grace; resolves once the exit is fully handled. */
  async #terminate(child: Child, graceMs: number): Promise<void> {
    child.expected = true;
    if (!child.exit) {
      if (graceMs > 0) {
        child.sink.note(
          `stopping pid ${child.pid}: SIGTERM to its process group${child.sandboxed ? " (bwrap spared)" : ""}`,
        );
        if (child.sandboxed) terminateSandboxedGroup(child.pid);
        else signalGroup(child.pid, "SIGTERM");
      }
      if (graceMs === 0 || !(await settlesWithin(child.exited, graceMs))) {
        child.sink.note(
          `pid ${child.pid} still running${graceMs > 0 ? ` after ${graceMs} ms` : ""}: SIGKILL to its process group`,
        );
        signalGroup(child.pid, "SIGKILL");
      }
    }
    await child.closed;
  }
}
