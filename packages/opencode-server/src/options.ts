import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { isAbsolute, join } from "node:path";
import {
  describeValue,
  type Fail,
  fieldFailer,
  isRecord,
  loggerProblem,
  type OpenCodeLogger,
  silentLogger,
} from "@taos/internal";
import {
  ConfigValidationError,
  type PermissionConfig,
  validateOpenCodeConfigOptions,
} from "@taos/opencode-config";
import { InvalidServerOptionError } from "./errors.js";
import { findBwrap, isExecutableFile } from "./find-bwrap.js";
import type { LiteLLMOptions } from "./types.js";

/** The options after validation and defaults. */
export interface ResolvedOptions {
  readonly home: string;
  litellm: LiteLLMOptions;
  permission: PermissionConfig | undefined;
  readonly port: number;
  readonly hostname: string;
  readonly password: string | null;
  readonly username: string;
  readonly binary: string | undefined;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  readonly logFile: string;
  readonly logger: OpenCodeLogger;
  readonly installPluginDependencies: boolean;
  /** The bwrap executable when sandboxed, undefined for `sandbox: "none"`. */
  readonly bwrap: string | undefined;
  readonly sandboxHide: readonly string[];
  readonly allowUnsupportedVersion: boolean;
  /** The OS user and group to run as, both or neither. */
  readonly user: { readonly uid: number; readonly gid: number } | undefined;
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// Control characters would break the header or the environment variable.
const CONTROL = /[\u0000-\u001f\u007f]/;
const CONFIG_PREFIX = /^Invalid opencode config option "[^"]*": /;

const fail: Fail = fieldFailer(
  (field, message) => new InvalidServerOptionError({ field, message }),
);

function absolutePath(value: unknown, field: string): string {
  if (typeof value !== "string") fail(field, `must be a string, got ${describeValue(value)}`);
  if (!isAbsolute(value)) fail(field, `must be an absolute path, got "${value}"`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") fail(field, "must be a non-empty string");
  return value;
}

function optionalBoolean(value: unknown, field: string): boolean {
  if (value !== undefined && typeof value !== "boolean") {
    fail(field, `must be a boolean, got ${describeValue(value)}`);
  }
  return value === true;
}

/** A whole number of milliseconds, > 0 (or >= 0 with `allowZero`). */
export function validateMs(
  value: unknown,
  field: string,
  fallback: number,
  allowZero = false,
): number {
  if (value === undefined) return fallback;
  const ok = typeof value === "number" && Number.isFinite(value) && value >= 0;
  if (!ok || (!allowZero && value === 0)) {
    fail(
      field,
      `must be a finite number of milliseconds ${allowZero ? ">= 0" : "> 0"}, got ${String(value)}`,
    );
  }
  return value;
}

export function validateSignal(value: unknown, field: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  fail(field, `must be an AbortSignal, got ${describeValue(value)}`);
}

/**
 * Checks the LiteLLM part and the permissions through the config package, and
 * names the field as the server's options do (`litellm.baseURL`, `permission.bash`).
 */
export function validateLiteLLM(litellm: unknown, permission: unknown): LiteLLMOptions {
  if (!isRecord(litellm)) {
    fail(
      "litellm",
      `must be an object with baseURL, apiKey and modelIds, got ${describeValue(litellm)}`,
    );
  }
  const { baseURL, apiKey, modelIds, providerId } = litellm;
  try {
    validateOpenCodeConfigOptions({ baseURL, apiKey, modelIds, providerId, permission });
  } catch (error) {
    if (!ConfigValidationError.isInstance(error)) throw error;
    const field = error.field.startsWith("permission") ? error.field : `litellm.${error.field}`;
    fail(field, error.message.replace(CONFIG_PREFIX, ""));
  }
  return litellm as unknown as LiteLLMOptions;
}

function validatePort(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 65535) {
    fail("port", `must be an integer from 0 to 65535, got ${String(value)}`);
  }
  return value;
}

function validateHostname(value: unknown): string {
  const hostname = optionalString(value, "hostname") ?? "127.0.0.1";
  if (isIP(hostname) === 0 && !HOSTNAME.test(hostname)) {
    fail("hostname", `must be an IP address or a host name, got "${hostname}"`);
  }
  return hostname;
}

function validateAuth(o: Record<string, unknown>): { username: string; password: string | null } {
  const username = optionalString(o.username, "username") ?? "opencode";
  if (username.includes(":") || CONTROL.test(username)) {
    fail("username", "must not contain ':' or control characters");
  }
  const { password } = o;
  if (password === undefined) return { username, password: randomBytes(24).toString("base64url") };
  if (password === null) return { username, password: null };
  if (typeof password !== "string") {
    fail("password", `must be a string or null, got ${describeValue(password)}`);
  }
  if (password === "") fail("password", "must not be empty (use null for no auth)");
  if (CONTROL.test(password)) fail("password", "must not contain control characters");
  return { username, password };
}

function validateEnv(value: unknown): Record<string, string | undefined> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) fail("env", `must be an object of strings, got ${describeValue(value)}`);
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined && typeof entry !== "string") {
      fail(`env.${key}`, `must be a string or undefined, got ${describeValue(entry)}`);
    }
  }
  return value as Record<string, string | undefined>;
}

function validateLogger(value: unknown): OpenCodeLogger {
  if (value === undefined) return silentLogger;
  const problem = loggerProblem(value);
  if (problem !== undefined) fail("logger", problem);
  return value as OpenCodeLogger;
}

function validateSandbox(o: Record<string, unknown>): {
  bwrap: string | undefined;
  sandboxHide: readonly string[];
} {
  const sandbox = o.sandbox ?? "none";
  if (sandbox !== "bwrap" && sandbox !== "none") {
    const got = typeof sandbox === "string" ? `"${sandbox}"` : describeValue(sandbox);
    fail("sandbox", `must be "bwrap" or "none", got ${got}`);
  }
  const hide = o.sandboxHide ?? [];
  if (!Array.isArray(hide)) {
    fail("sandboxHide", `must be an array of absolute paths, got ${describeValue(hide)}`);
  }
  const sandboxHide = hide.map((path, i) => absolutePath(path, `sandboxHide[${i}]`));
  const bwrapPath = o.bwrapPath === undefined ? undefined : absolutePath(o.bwrapPath, "bwrapPath");
  if (sandbox === "none") return { bwrap: undefined, sandboxHide };
  if (bwrapPath !== undefined) {
    if (!isExecutableFile(bwrapPath)) fail("bwrapPath", `"${bwrapPath}" is not an executable file`);
    return { bwrap: bwrapPath, sandboxHide };
  }
  const bwrap = findBwrap();
  if (bwrap === undefined) {
    fail(
      "sandbox",
      '"bwrap" needs bubblewrap, and no bwrap is on PATH: install it (Debian/Ubuntu: apt-get install bubblewrap), pass bwrapPath, or use sandbox: "none"',
    );
  }
  return { bwrap, sandboxHide };
}

function validateId(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xfffffffe) {
    fail(field, `must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function validateUser(o: Record<string, unknown>): ResolvedOptions["user"] {
  if (o.uid === undefined && o.gid === undefined) return undefined;
  if (o.uid === undefined) fail("uid", "must be given with gid");
  if (o.gid === undefined) fail("gid", "must be given with uid");
  const uid = validateId(o.uid, "uid");
  const gid = validateId(o.gid, "gid");
  if (process.getuid?.() !== 0) {
    fail("uid", "running the server as another user needs the host to run as root");
  }
  return { uid, gid };
}

/** Validates every option and fills in defaults; throws `InvalidServerOptionError` naming the first bad one. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (!isRecord(options)) fail("options", `must be an object, got ${describeValue(options)}`);
  const o = options;
  const home = absolutePath(o.home, "home");
  return {
    home,
    litellm: validateLiteLLM(o.litellm, o.permission),
    permission: o.permission as PermissionConfig | undefined,
    port: validatePort(o.port),
    hostname: validateHostname(o.hostname),
    ...validateAuth(o),
    binary: optionalString(o.binary, "binary"),
    cwd: o.cwd === undefined ? home : absolutePath(o.cwd, "cwd"),
    env: validateEnv(o.env),
    logFile:
      o.logFile === undefined
        ? join(home, ".config", "opencode", "serve.log")
        : absolutePath(o.logFile, "logFile"),
    logger: validateLogger(o.logger),
    installPluginDependencies: optionalBoolean(
      o.installPluginDependencies,
      "installPluginDependencies",
    ),
    ...validateSandbox(o),
    allowUnsupportedVersion: optionalBoolean(o.allowUnsupportedVersion, "allowUnsupportedVersion"),
    user: validateUser(o),
  };
}
