import { realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { performance } from "node:perf_hooks";
import type { OpenCodeLogger } from "@taos/internal";
import { Redactor } from "@taos/internal";
import { type ExitInfo, type OpenCodeChild, spawnChild } from "./child.js";
import { buildServerEnv } from "./env.js";
import {
  OpenCodeExitedError,
  type OpenCodeHealthError,
  OpenCodeStartTimeoutError,
  PortInUseError,
} from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import { choosePort, probeOptionPort } from "./port.js";
import { type HealthClient, waitReady } from "./readiness.js";
import { bwrapArgs, defaultHidden } from "./sandbox.js";
import { checkOpenCodeVersion, readBinaryVersion } from "./version.js";

// A child that failed its start gets a short grace only.
export const REPLACE_GRACE_MS = 1_000;
const MAX_BIND_ATTEMPTS = 3;
// What opencode 1.18 prints when it cannot bind ("ServeError"), and the usual wordings.
const BIND_FAILURE = /ServeError|EADDRINUSE|address already in use|port \d+ is in use/i;

/** What one start needs from its server. */
export interface LaunchContext {
  readonly options: ResolvedOptions;
  readonly binary: string;
  readonly health: HealthClient;
  readonly onUnexpectedExit: (child: OpenCodeChild, info: ExitInfo) => void;
  /** Each spawned child, as soon as it exists (for a joining caller's timeout message). */
  readonly onAttempt: (child: OpenCodeChild) => void;
  /** Each failed health check of the start (the cause of a start timeout). */
  readonly onHealthError: (error: OpenCodeHealthError) => void;
}

export interface Launched {
  readonly child: OpenCodeChild;
  readonly version: string | undefined;
}

function formatHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
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

/** `opencode serve ...`, or the same run by bwrap when the server is sandboxed. */
export function serveCommand(
  options: ResolvedOptions,
  binary: string,
  port: number,
): { readonly command: string; readonly args: readonly string[] } {
  const serve = ["serve", "--port", String(port), "--hostname", options.hostname];
  const { bwrap, home, cwd, sandboxHide } = options;
  if (bwrap === undefined) return { command: binary, args: serve };
  const hidden = existingDirs([...defaultHidden(home, homedir()), ...sandboxHide]);
  return {
    command: bwrap,
    args: bwrapArgs({ home, cwd, binary: realPath(binary), hidden }, serve),
  };
}

function isBindFailure(error: unknown): boolean {
  return (
    OpenCodeExitedError.isInstance(error) && error.output.some((line) => BIND_FAILURE.test(line))
  );
}

async function spawnOn(ctx: LaunchContext, port: number): Promise<OpenCodeChild> {
  const { options, binary } = ctx;
  const { home, hostname, cwd, logFile, username, password, litellm, env, logger } = options;
  const notes: string[] = [];
  if (password === null) {
    logger.warn(
      { home },
      "opencode serve runs without a password: anyone who can reach its port can use it",
    );
    notes.push("no password: the server is open to anyone who can reach its port");
  }
  const basic =
    password === null ? undefined : Buffer.from(`${username}:${password}`).toString("base64");
  return spawnChild({
    ...serveCommand(options, binary, port),
    binary,
    cwd,
    env: buildServerEnv({ home, env, username, password }),
    sandboxed: options.bwrap !== undefined,
    user: options.user,
    port,
    baseUrl: `http://${formatHost(hostname)}:${port}`,
    home,
    logFile,
    redactor: new Redactor([litellm.apiKey, password ?? undefined, basic]),
    logger,
    notes,
    onUnexpectedExit: ctx.onUnexpectedExit,
  });
}

/**
 * Refuses an opencode outside the supported range (unless allowed). The
 * version comes from the health answer, or from `opencode --version` when the
 * answer did not carry one.
 */
async function verifyVersion(
  ctx: LaunchContext,
  reported: string | undefined,
  signal: AbortSignal,
): Promise<string | undefined> {
  const version = reported ?? (await readBinaryVersion(ctx.binary, signal));
  const { allowUnsupportedVersion: allowUnsupported, logger } = ctx.options;
  checkOpenCodeVersion({ version, binary: ctx.binary, allowUnsupported, logger });
  return version;
}

/**
 * Starts one child and waits until it is ready and its version is accepted;
 * a child that fails is killed before the error goes on. A picked port that
 * opencode could not bind is replaced (3 tries); a given one held by someone
 * else is a `PortInUseError`.
 */
export async function launch(ctx: LaunchContext, signal: AbortSignal): Promise<Launched> {
  const { options } = ctx;
  for (let tries = 1; ; tries += 1) {
    signal.throwIfAborted();
    const port = await choosePort(options.hostname, options.port);
    signal.throwIfAborted();
    const child = await spawnOn(ctx, port);
    ctx.onAttempt(child);
    try {
      const reported = await waitReady(child, ctx.health, signal, ctx.onHealthError);
      return { child, version: await verifyVersion(ctx, reported, signal) };
    } catch (error) {
      await child.terminate(REPLACE_GRACE_MS);
      if (signal.aborted) throw signal.reason;
      if (!isBindFailure(error)) throw error;
      if (options.port !== 0) {
        if ((await probeOptionPort(options.hostname, port)) !== undefined) throw error;
        throw new PortInUseError({ port, hostname: options.hostname, cause: error });
      }
      if (tries >= MAX_BIND_ATTEMPTS) throw error;
      options.logger.warn({ port, tries }, "opencode could not bind its port; trying another");
    }
  }
}

/** Not ready by the deadline: what the child of the attempt got to, and the last health failure. */
export function startTimeoutError(
  deadlineMs: number,
  child: OpenCodeChild | undefined,
  cause?: unknown,
): OpenCodeStartTimeoutError {
  return new OpenCodeStartTimeoutError({
    deadlineMs,
    sawListening: child?.sawListening ?? false,
    output: child?.sink.tail() ?? [],
    cause,
  });
}

/** Logs (and notes in the child's log) how long the start took, by stage. */
export function noteReady(
  child: OpenCodeChild,
  begun: number,
  version: string | undefined,
  logger: OpenCodeLogger,
): void {
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
  const { pid, port } = child;
  logger.info({ pid, port, version, ...timing }, "opencode ready");
}
