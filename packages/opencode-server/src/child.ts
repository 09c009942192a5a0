import { dirname, relative } from "node:path";
import { performance } from "node:perf_hooks";
import type { OpenCodeLogger, Redactor } from "@taos/internal";
import { execa } from "execa";
import { OpenCodeBinaryNotFoundError, OpenCodeExitedError } from "./errors.js";
import { LogSink } from "./log-sink.js";
import { groupGone, signalGroup, signalGroupExcept } from "./process-group.js";
import { trackProcessGroup } from "./registry.js";
import { settlesWithin } from "./timing.js";

/** How an opencode process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

const LISTENING = /listening on https?:\/\/\S+/;
const OUTPUT_DRAIN_MS = 500;
/** How long a stop waits for the killed members of the child's group to be gone. */
const GROUP_GONE_MS = 2_000;

/** The `listening` line: when it came, and a promise that resolves with it. */
export class ListeningWatch {
  seen = false;
  /** performance.now() when the line came. */
  at = 0;
  #resolve: () => void = () => {};
  readonly promise: Promise<void> = new Promise((resolve) => {
    this.#resolve = resolve;
  });

  readonly onLine = (line: string): void => {
    if (this.seen || !LISTENING.test(line)) return;
    this.seen = true;
    this.at = performance.now();
    this.#resolve();
  };
}

export interface SpawnChildOptions {
  /** The executable: opencode itself, or bwrap when sandboxed. */
  readonly command: string;
  readonly args: readonly string[];
  /** The binary that runs in the end (named when it cannot be spawned). */
  readonly binary: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly sandboxed: boolean;
  /** The OS user and group to run as (the host runs as root). */
  readonly user: { readonly uid: number; readonly gid: number } | undefined;
  readonly port: number;
  readonly baseUrl: string;
  readonly home: string;
  readonly logFile: string;
  readonly redactor: Redactor;
  readonly logger: OpenCodeLogger;
  /** Notes written to the log before the spawn. */
  readonly notes: readonly string[];
  /** A ready child exited without `terminate()`. */
  readonly onUnexpectedExit: (child: OpenCodeChild, info: ExitInfo) => void;
}

/**
 * One `opencode serve` process in its own process group, its output read into
 * a private log. `closed` resolves once its exit is fully handled: the group
 * killed, the output drained, the log closed.
 */
export class OpenCodeChild {
  readonly pid: number;
  readonly port: number;
  readonly baseUrl: string;
  readonly sink: LogSink;
  /** Runs under bubblewrap: `pid` is bwrap's, opencode runs inside, in the same group. */
  readonly sandboxed: boolean;
  /** performance.now() right after the spawn. */
  readonly spawnedAt: number;
  readonly exited: Promise<ExitInfo>;
  readonly closed: Promise<void>;
  exit: ExitInfo | undefined;
  ready = false;
  /** The exit was asked for (stop, replacement, failed start). */
  expected = false;
  healthPath: "/global/health" | "/doc" = "/global/health";
  readonly #listening: ListeningWatch;

  constructor(
    init: Pick<OpenCodeChild, "pid" | "port" | "baseUrl" | "sink" | "sandboxed" | "exited">,
    listening: ListeningWatch,
    onUnexpectedExit: SpawnChildOptions["onUnexpectedExit"],
  ) {
    this.pid = init.pid;
    this.port = init.port;
    this.baseUrl = init.baseUrl;
    this.sink = init.sink;
    this.sandboxed = init.sandboxed;
    this.exited = init.exited;
    this.spawnedAt = performance.now();
    this.#listening = listening;
    const untrack = trackProcessGroup(this.pid);
    this.closed = this.exited.then(async (info) => {
      this.exit = info;
      // opencode does not pass signals on to its own children: end them too, and wait
      // until they are gone, so nothing of this child outlives a stop.
      signalGroup(this.pid, "SIGKILL");
      await groupGone(this.pid, GROUP_GONE_MS);
      untrack();
      await settlesWithin(this.sink.drained(), OUTPUT_DRAIN_MS);
      this.sink.note(`pid ${this.pid} exited (code ${info.code}, signal ${info.signal})`);
      await this.sink.close();
      if (this.ready && !this.expected) onUnexpectedExit(this, info);
    });
  }

  /** Resolves when the `listening` line is out. */
  get listening(): Promise<void> {
    return this.#listening.promise;
  }

  get sawListening(): boolean {
    return this.#listening.seen;
  }

  /** performance.now() when the listening line came (0 before). */
  get listeningAt(): number {
    return this.#listening.at;
  }

  /** The error a child that died during its start fails the start with, its last words included. */
  async exitError(info: ExitInfo): Promise<OpenCodeExitedError> {
    await settlesWithin(this.sink.drained(), OUTPUT_DRAIN_MS);
    return new OpenCodeExitedError({
      exitCode: info.code ?? undefined,
      signal: info.signal ?? undefined,
      output: this.sink.tail(),
    });
  }

  /** SIGTERM to the group, SIGKILL after the grace (at once for 0); resolves once the exit is fully handled. */
  async terminate(graceMs: number): Promise<void> {
    this.expected = true;
    if (!this.exit) {
      if (graceMs > 0) {
        const spared = this.sandboxed ? " (bwrap spared)" : "";
        this.sink.note(`stopping pid ${this.pid}: SIGTERM to its process group${spared}`);
        if (this.sandboxed) signalGroupExcept(this.pid, "SIGTERM", "bwrap");
        else signalGroup(this.pid, "SIGTERM");
      }
      if (graceMs === 0 || !(await settlesWithin(this.exited, graceMs))) {
        const after = graceMs > 0 ? ` after ${graceMs} ms` : "";
        this.sink.note(`pid ${this.pid} still running${after}: SIGKILL to its process group`);
        signalGroup(this.pid, "SIGKILL");
      }
    }
    await this.closed;
  }
}

/** Spawns the child detached (its own process group) with its output going to the log. */
export async function spawnChild(options: SpawnChildOptions): Promise<OpenCodeChild> {
  const listening = new ListeningWatch();
  const sink = await openChildLog(options, listening);
  const subprocess = execa(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    extendEnv: false,
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    cleanup: false,
    ...(options.user ?? {}),
  });
  const { pid } = subprocess;
  if (pid === undefined) throw await spawnFailure(subprocess, sink, options.command);
  // reject: false, so this settles without throwing; the exit is watched below.
  void subprocess.then(
    () => {},
    () => {},
  );
  const exited = new Promise<ExitInfo>((resolve) => {
    subprocess.once("exit", (code, signal) => resolve({ code, signal }));
  });
  const { port, baseUrl, sandboxed } = options;
  const child = new OpenCodeChild(
    { pid, port, baseUrl, sink, sandboxed, exited },
    listening,
    options.onUnexpectedExit,
  );
  if (subprocess.stdout) sink.attach(subprocess.stdout);
  if (subprocess.stderr) sink.attach(subprocess.stderr);
  options.logger.debug({ pid, port, binary: options.binary }, "opencode spawned");
  return child;
}

/** The child's private log, with the notes and the command line written first. */
async function openChildLog(
  options: SpawnChildOptions,
  listening: ListeningWatch,
): Promise<LogSink> {
  const logDir = dirname(options.logFile);
  const sink = await LogSink.open({
    path: options.logFile,
    dir: logDir,
    privateDir: !relative(options.home, logDir).startsWith(".."),
    redactor: options.redactor,
    onLine: listening.onLine,
  });
  for (const note of options.notes) sink.note(note);
  sink.note(`starting ${options.command} ${options.args.join(" ")} in ${options.cwd}`);
  return sink;
}

/** The error of a process that could not be spawned at all (noted in the log, which is closed). */
async function spawnFailure(
  subprocess: PromiseLike<unknown>,
  sink: LogSink,
  command: string,
): Promise<Error> {
  const result = (await subprocess) as { code?: string; cause?: unknown };
  sink.note(`could not spawn: ${result.code ?? "unknown error"}`);
  await sink.close();
  if (result.code === "ENOENT") {
    const searched = [`${command} (spawn: ENOENT)`];
    return new OpenCodeBinaryNotFoundError({ searched, cause: result.cause });
  }
  return new OpenCodeExitedError({
    exitCode: undefined,
    signal: undefined,
    output: [],
    cause: result.cause,
  });
}
