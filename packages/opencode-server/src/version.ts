import { execFile, execFileSync } from "node:child_process";
import type { OpenCodeLogger } from "@taos/internal";
import { SUPPORTED_OPENCODE_RANGE, UnsupportedOpenCodeVersionError } from "@taos/opencode-config";
import semver from "semver";
import { InvalidServerOptionError } from "./errors.js";

/**
 * The opencode releases this package is tested with: from 1.3.0, the oldest
 * release on which the real-binary server and adapter tests pass (1.2 makes
 * the first session of a fresh home wait for a plugin download; older ones lack
 * the SQLite state, `format` on prompts, the server password or `/global/*`), up to (not
 * including) 2.0, whose server API is a different one (`/api/*` routes).
 */
export { SUPPORTED_OPENCODE_RANGE };

/** @deprecated use `SUPPORTED_OPENCODE_RANGE` (the same range) */
export const SUPPORTED_OPENCODE_VERSIONS: string = SUPPORTED_OPENCODE_RANGE;

/** How a supported one is installed; named in every refusal. */
export const OPENCODE_INSTALL_HINT: string = "npm i opencode-ai@1";

const VERSION_IN_TEXT =
  /(?<![\d.])(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]*[0-9A-Za-z])?(?:\+[0-9A-Za-z.-]*[0-9A-Za-z])?)/;

/** The first semantic version in `text` (e.g. the output of `opencode --version`), if any. */
export function parseOpenCodeVersion(text: string): string | undefined {
  const found = VERSION_IN_TEXT.exec(text)?.[1];
  return found !== undefined && semver.valid(found) !== null ? found : undefined;
}

/** Throws `InvalidServerOptionError` (field `field`) unless `range` is a semver range. */
export function assertVersionRange(range: string, field = "versionRange"): void {
  if (typeof range !== "string" || semver.validRange(range) === null) {
    throw new InvalidServerOptionError({
      field,
      message: `must be a semver range such as "${SUPPORTED_OPENCODE_RANGE}", got ${JSON.stringify(range)}`,
    });
  }
}

/**
 * Whether `version` lies in `range`. A pre-release is judged by its release
 * numbers (`1.19.0-beta.1` as `1.19.0`, `2.0.0-beta.1` as `2.0.0`), so a 2.0
 * pre-release is outside `<2` and a 1.x one is inside. A text that is not a
 * version is not supported.
 */
export function isSupportedOpenCodeVersion(
  version: string,
  range: string = SUPPORTED_OPENCODE_RANGE,
): boolean {
  const parsed = semver.parse(version);
  if (parsed === null) return false;
  return semver.satisfies(`${parsed.major}.${parsed.minor}.${parsed.patch}`, range);
}

export { UnsupportedOpenCodeVersionError };

export interface CheckOpenCodeVersionOptions {
  /** The version the binary or server reported; undefined when it did not say. */
  readonly version: string | undefined;
  /** The binary's path (or the server's URL), for the message. */
  readonly binary: string;
  /** Log a warning instead of throwing for a version outside the range. */
  readonly allowUnsupported: boolean;
  readonly logger: OpenCodeLogger;
  /** @default SUPPORTED_OPENCODE_RANGE */
  readonly range?: string;
}

/**
 * Refuses a version outside the range with `UnsupportedOpenCodeVersionError`,
 * or only warns when `allowUnsupported`. A version that is unknown (undefined,
 * or not a semantic version, e.g. a local build) is warned about, not refused:
 * there is nothing to judge it by.
 */
export function checkOpenCodeVersion(options: CheckOpenCodeVersionOptions): void {
  const { version, binary, allowUnsupported, logger } = options;
  const range = options.range ?? SUPPORTED_OPENCODE_RANGE;
  if (version === undefined || semver.valid(version) === null) {
    logger.warn(
      { version, range, binary },
      "opencode did not report a version that can be checked; assuming it is supported",
    );
    return;
  }
  if (isSupportedOpenCodeVersion(version, range)) return;
  const error = new UnsupportedOpenCodeVersionError({
    version,
    range,
    binary,
    advice: `Install a supported one with "${OPENCODE_INSTALL_HINT}" (or pass the \`binary\` option / set OPENCODE_BIN to one), or set \`allowUnsupportedVersion\` to run it anyway.`,
  });
  if (!allowUnsupported) throw error;
  logger.warn(
    { version, range, binary },
    `opencode ${version} is outside the supported range ${range}; running it anyway (allowUnsupportedVersion)`,
  );
}

/** How long `opencode --version` may take (it takes 1 to 5 s on a busy host). */
export const VERSION_TIMEOUT_MS = 15_000;

function versionRunOptions(timeoutMs: number) {
  return {
    timeout: timeoutMs,
    killSignal: "SIGKILL" as const,
    maxBuffer: 64 * 1024,
    windowsHide: true,
    // Asking a version must not reach the network (models catalogue, self-update).
    env: { ...process.env, OPENCODE_DISABLE_MODELS_FETCH: "1", OPENCODE_DISABLE_AUTOUPDATE: "1" },
  };
}

/**
 * Runs `<binary> --version` and returns the version it prints, or undefined
 * when it fails, times out (`timeoutMs`) or prints no version. Rejects with
 * `signal.reason` when `signal` aborts.
 */
export function readBinaryVersion(
  binary: string,
  signal?: AbortSignal,
  timeoutMs: number = VERSION_TIMEOUT_MS,
): Promise<string | undefined> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      ["--version"],
      { ...versionRunOptions(timeoutMs), ...(signal === undefined ? {} : { signal }) },
      (error, stdout) => {
        if (signal?.aborted) reject(signal.reason);
        else if (error) resolve(undefined);
        else resolve(parseOpenCodeVersion(String(stdout)));
      },
    );
  });
}

/** `readBinaryVersion` that blocks until the binary answered (for synchronous callers). */
export function readBinaryVersionSync(
  binary: string,
  timeoutMs: number = VERSION_TIMEOUT_MS,
): string | undefined {
  try {
    const stdout = execFileSync(binary, ["--version"], {
      ...versionRunOptions(timeoutMs),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return parseOpenCodeVersion(stdout);
  } catch {
    return undefined;
  }
}
