import { isRecord } from "@taos/internal";

/** The `format` of an agent archive's manifest. */
export const ARCHIVE_FORMAT = "taos-opencode-agent";
/** The manifest version this pool writes and reads. */
export const ARCHIVE_VERSION = 1;
/** The manifest's entry name; every other entry is under `home/`. */
export const MANIFEST_ENTRY = "manifest.json";
export const HOME_PREFIX = "home/";
/** Where opencode keeps its SQLite database, relative to the agent's home. */
export const DATABASE_PATH = ".local/share/opencode/opencode.db";

/** What an archive says about the agent it holds. No key, no secret. */
export interface ArchiveManifest {
  readonly format: typeof ARCHIVE_FORMAT;
  readonly version: typeof ARCHIVE_VERSION;
  readonly agentId: string;
  /** The opencode that wrote the database, when known. */
  readonly opencodeVersion: string | null;
  readonly exportedAt: string;
  /** The agent's working directory on the host it left (sessions are recorded under it). */
  readonly cwd: string;
  /** The agent's settings less its key: models, cwd, permission. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** Files under `home/` and their total size in bytes. */
  readonly files: number;
  readonly bytes: number;
}

/** Caps an import applies to an archive. */
export interface ArchiveLimits {
  /** The largest file (bytes). @default 512 MiB */
  readonly maxEntryBytes: number;
  /** The sum of all files (bytes). @default 2 GiB */
  readonly maxTotalBytes: number;
  /** How many entries. @default 100000 */
  readonly maxEntries: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxEntryBytes: 512 * 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  maxEntries: 100_000,
};

// Rebuilt at each start (the config holds the key; the server package writes what stops the
// plugin install), an install's own files, or logs and caches.
const LEFT_OUT = [
  ".cache",
  ".config/opencode/opencode.json",
  ".config/opencode/auth.json",
  ".config/opencode/serve.log",
  ".config/opencode/.npmrc",
  ".config/opencode/node_modules",
  ".config/opencode/package-lock.json",
  ".local/share/opencode/log",
  ".local/share/opencode/bin",
];

/** True when a path of the home (relative, `/`-separated) goes into an export. */
export function isExportedPath(relative: string): boolean {
  return !LEFT_OUT.some((out) => relative === out || relative.startsWith(`${out}/`));
}

const FILE_TYPES = new Set(["File", "OldFile", "ContiguousFile"]);

/** One tar entry as the import sees it. */
export interface ArchiveEntry {
  readonly path: string;
  readonly type: string;
  readonly size: number;
}

/**
 * Why an entry is refused, or undefined when it may be written: only files and
 * folders, under `home/` (or the manifest), no `..`, not absolute, within the caps.
 */
export function entryProblem(
  entry: ArchiveEntry,
  limits: ArchiveLimits,
  seen: { readonly entries: number; readonly bytes: number },
): string | undefined {
  const { path, type, size } = entry;
  if (path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path))
    return `absolute path ${JSON.stringify(path)}`;
  if (path.split(/[\\/]/).some((part) => part === ".."))
    return `path ${JSON.stringify(path)} leaves the home`;
  if (path.includes("\0")) return "a path with a NUL byte";
  if (type !== "Directory" && !FILE_TYPES.has(type))
    return `entry ${JSON.stringify(path)} is a ${type}, only files and folders are allowed`;
  const isHome = path === "home" || path === HOME_PREFIX;
  if (path !== MANIFEST_ENTRY && !path.startsWith(HOME_PREFIX) && !isHome)
    return `entry ${JSON.stringify(path)} is neither the manifest nor under home/`;
  if ((isHome && type !== "Directory") || (path === MANIFEST_ENTRY && type === "Directory"))
    return `entry ${JSON.stringify(path)} has the wrong type (${type})`;
  if (seen.entries + 1 > limits.maxEntries) return `more than ${limits.maxEntries} entries`;
  if (size > limits.maxEntryBytes)
    return `entry ${JSON.stringify(path)} is ${size} bytes, over the ${limits.maxEntryBytes} cap`;
  if (seen.bytes + size > limits.maxTotalBytes)
    return `the files add up to more than the ${limits.maxTotalBytes} bytes cap`;
  return undefined;
}

/** Why a manifest is not one this pool reads, or undefined. */
export function manifestProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return "the manifest is not a JSON object";
  if (value.format !== ARCHIVE_FORMAT)
    return `unknown archive format ${JSON.stringify(value.format)}`;
  if (value.version !== ARCHIVE_VERSION)
    return `unknown archive version ${JSON.stringify(value.version)} (this pool reads ${ARCHIVE_VERSION})`;
  if (typeof value.agentId !== "string") return "the manifest has no agentId";
  if (typeof value.cwd !== "string" || !value.cwd.startsWith("/"))
    return "the manifest has no absolute cwd";
  return undefined;
}

const SQLITE_HEADER = "SQLite format 3\0";

/** True when `bytes` start with SQLite's 16-byte file header. */
export function isSqliteHeader(bytes: Uint8Array): boolean {
  if (bytes.length < 16) return false;
  return Buffer.from(bytes.subarray(0, 16)).toString("latin1") === SQLITE_HEADER;
}
