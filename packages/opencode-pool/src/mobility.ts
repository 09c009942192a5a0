import { access, chmod, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { abortable, describeValue, type Fail, fieldFailer, isRecord } from "@taos/internal";
import { readBinaryVersion, resolveOpenCodeBinary } from "@taos/opencode-server";
import type { AgentRecord } from "./agent.js";
import { type ArchiveSource, extractArchive } from "./archive-import.js";
import {
  type ArchiveLimits,
  type ArchiveManifest,
  DEFAULT_ARCHIVE_LIMITS,
  HOME_PREFIX,
} from "./archive-rules.js";
import { AgentBusyError, AgentExistsError, InvalidPoolOptionError } from "./errors.js";
import type { LaunchedServer } from "./launcher.js";
import type { ServerLifecycle } from "./lifecycle.js";
import type { AgentSettings } from "./options.js";
import { authHeaders } from "./server-http.js";

const fail: Fail = fieldFailer((field, message) => new InvalidPoolOptionError({ field, message }));

export interface ExportOptions {
  /** How long to wait for the agent's running turns before refusing with `agent_busy`. @default 30000 */
  readonly waitMs?: number;
  /** Stops the wait for running turns (rejecting with its reason). */
  readonly signal?: AbortSignal;
}

export interface ImportOptions {
  /** Caps on the archive's entries. @default 512 MiB a file, 2 GiB in all, 100000 entries */
  readonly limits?: Partial<ArchiveLimits>;
}

/**
 * Stops the agent's server once its turns end and holds it stopped (phase
 * `held`: turns wait); `AgentBusyError` when turns still run after `waitMs`.
 */
export async function holdStopped(
  record: AgentRecord,
  servers: ServerLifecycle,
  waitMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    signal?.throwIfAborted();
    if (record.tryTransition("hold")) return;
    if (record.phase === "idle" || record.phase === "failing") {
      if (record.phase === "failing") record.transition("reset");
      else await servers.stopAndSettle(record, "exported");
      continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) throw new AgentBusyError(record.agentId, waitMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, left);
    });
    try {
      await abortable(Promise.race([record.changed(), timeout]), signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The agent's settings less its key and OS user: what an archive's manifest may carry. */
export function publicSettings(settings: AgentSettings): Record<string, unknown> {
  const { apiKey: _key, user: _user, ...rest } = settings;
  return { ...rest };
}

/** Throws naming the limit unless each given one is an integer >= 1. */
export function validateLimits(limits: unknown, field: string): void {
  if (limits === undefined) return;
  if (!isRecord(limits)) fail(field, `must be an object, got ${describeValue(limits)}`);
  for (const [name, value] of Object.entries(limits))
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
      fail(`${field}.${name}`, `must be an integer >= 1, got ${describeValue(value)}`);
}

/** The version a running server reports, else the binary's, else null. */
export async function opencodeVersion(
  server: LaunchedServer | undefined,
  binary: string | undefined,
): Promise<string | null> {
  if (server === undefined) {
    try {
      return (await readBinaryVersion(binary ?? resolveOpenCodeBinary())) ?? null;
    } catch {
      return null;
    }
  }
  try {
    const response = await fetch(new URL("/global/health", server.baseUrl), {
      headers: authHeaders(server),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await response.json()) as { version?: unknown };
    return typeof body.version === "string" ? body.version : null;
  } catch {
    return null;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * Unpacks `archive` into a private folder beside the homes and renames its
 * home into place as `home`; nothing stays behind when it throws.
 */
export async function importHome(
  archive: ArchiveSource,
  root: string,
  home: string,
  agentId: string,
  options: ImportOptions,
  relocate: (stagedHome: string, manifest: ArchiveManifest, home: string) => Promise<void>,
): Promise<ArchiveManifest> {
  if (await exists(home)) throw new AgentExistsError(agentId);
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  // Agent ids never start with ".", so this folder is nobody's home.
  const staging = await mkdtemp(join(root, ".import-"));
  try {
    const manifest = await extractArchive(archive, staging, limits);
    if (await exists(home)) throw new AgentExistsError(agentId);
    const unpacked = join(staging, HOME_PREFIX);
    if (!(await exists(unpacked))) await mkdir(unpacked, { mode: 0o700 });
    await relocate(unpacked, manifest, home);
    await rename(unpacked, home);
    await chmod(home, 0o700);
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
