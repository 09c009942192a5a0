import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { isAbsolute, join } from "node:path";
import { loggerProblem, type OpenCodeLogger, silentLogger } from "@taos/internal";
import { type PermissionConfig, validateOpenCodeConfigOptions } from "@taos/opencode-config";
import { InvalidServerOptionError } from "./errors.js";
import { findBwrap, isExecutableFile, type SandboxMode } from "./sandbox.js";

/** Where opencode reaches its models: the LiteLLM proxy, with the agent's own key. */
export interface LiteLLMOptions {
  /** The proxy's OpenAI-compatible base URL, e.g. `http://litellm:4000/v1`. */
  readonly baseURL: string;
  /** The agent's LiteLLM virtual key. Redacted from the log and from every error. */
  readonly apiKey: string;
  /** The model ids the agent may use. */
  readonly modelIds: readonly string[];
  /** The provider id opencode knows the proxy by. @default "litellm" */
  readonly providerId?: string;
}

export interface OpenCodeServerOptions {
  /** The server's home (absolute): config, data, cache and state all stay under it. */
  readonly home: string;
  readonly litellm: LiteLLMOptions;
  /** opencode's `permission` block, written into the config. */
  readonly permission?: PermissionConfig;
  /**
   * The port to listen on. Omitted or 0: a free port is picked and passed
   * explicitly (opencode's own `--port 0` is not random), and another is
   * tried if opencode fails to bind it. Given: a port held by another process
   * gives `PortInUseError`.
   */
  readonly port?: number;
  /** @default "127.0.0.1" */
  readonly hostname?: string;
  /**
   * The Basic-auth password. Omitted: a random one, so a server is never open
   * by default. `null`: no auth at all (a warning is logged).
   */
  readonly password?: string | null;
  /** @default "opencode" */
  readonly username?: string;
  /** The `opencode` executable. Omitted: `resolveOpenCodeBinary()` finds it. */
  readonly binary?: string;
  /** The directory opencode works in (sessions' `directory`); absolute. @default home */
  readonly cwd?: string;
  /**
   * Extra environment for the child, over `DEFAULT_SERVER_ENV`; `undefined`
   * removes a variable. HOME, the XDG variables and the auth variables
   * always come from the options.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the child's output goes (appended, 0600). @default `<home>/.config/opencode/serve.log` */
  readonly logFile?: string;
  readonly logger?: OpenCodeLogger;
  /**
   * Let opencode install `@opencode-ai/plugin` into `<home>/.config/opencode`
   * from the npm registry (it does so in the background for every new home:
   * about 26 packages, 95 MB with the npm cache). Off by default: a
   * `.npmrc` with `offline=true` in that directory makes the install fail at
   * once. Only plugins loaded from that directory need the package.
   * @default false
   */
  readonly installPluginDependencies?: boolean;
  /**
   * `"bwrap"`: run the server under bubblewrap, seeing the system read-only,
   * its own home and `cwd` read-write, a private `/tmp`, and none of the
   * directories in `sandboxHide` (by default the parent of `home`, `/home`,
   * `/root` and the host user's home). Needs `bwrap` (Debian: `bubblewrap`);
   * without it the constructor throws `InvalidServerOptionError` (field
   * `sandbox`). Linux only.
   * @default "none"
   */
  readonly sandbox?: SandboxMode;
  /** The `bwrap` executable. Omitted: `findBwrap()` looks on `PATH`. */
  readonly bwrapPath?: string;
  /** More absolute directories a sandboxed server must not see (each covered by an empty tmpfs). */
  readonly sandboxHide?: readonly string[];
}

export interface EnsureRunningOptions {
  /** How long a start may take, wall clock. @default 20000 */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

export interface StopOptions {
  /** How long to wait after SIGTERM before SIGKILL. @default 5000 */
  readonly graceMs?: number;
}

export interface RestartOptions extends EnsureRunningOptions, StopOptions {}

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
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
// Control characters would break the header or the environment variable.
const CONTROL = /[\u0000-\u001f\u007f]/;

function fail(field: string, message: string): never {
  throw new InvalidServerOptionError({ field, message });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

function absolutePath(value: unknown, field: string): string {
  if (typeof value !== "string") fail(field, `must be a string, got ${describe(value)}`);
  if (!isAbsolute(value)) fail(field, `must be an absolute path, got "${value}"`);
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") fail(field, "must be a non-empty string");
  return value;
}

/** A whole number of milliseconds, > 0 (or >= 0 with `allowZero`). */
export function validateMs(
  value: unknown,
  field: string,
  fallback: number,
  allowZero = false,
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < 0 ||
    (!allowZero && value === 0)
  ) {
    fail(
      field,
      `must be a finite number of milliseconds ${allowZero ? ">= 0" : "> 0"}, got ${String(value)}`,
    );
  }
  return value;
}

export function validateSignal(value: unknown, field: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  fail(field, `must be an AbortSignal, got ${describe(value)}`);
}

/** Checks the LiteLLM part through the config package (its errors name the field). */
export function validateLiteLLM(litellm: unknown, permission: unknown): LiteLLMOptions {
  if (litellm === null || typeof litellm !== "object") {
    fail(
      "litellm",
      `must be an object with baseURL, apiKey and modelIds, got ${describe(litellm)}`,
    );
  }
  const { baseURL, apiKey, modelIds, providerId } = litellm as Record<string, unknown>;
  validateOpenCodeConfigOptions({ baseURL, apiKey, modelIds, providerId, permission });
  return litellm as LiteLLMOptions;
}

/** Validates every option and fills in defaults; throws `InvalidServerOptionError` naming the first bad one. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options === null || typeof options !== "object")
    fail("options", `must be an object, got ${describe(options)}`);
  const o = options as Record<string, unknown>;
  const home = absolutePath(o.home, "home");
  const litellm = validateLiteLLM(o.litellm, o.permission);

  let port = 0;
  if (o.port !== undefined) {
    if (typeof o.port !== "number" || !Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
      fail("port", `must be an integer from 0 to 65535, got ${String(o.port)}`);
    }
    port = o.port;
  }

  const hostname = optionalString(o.hostname, "hostname") ?? "127.0.0.1";
  if (isIP(hostname) === 0 && !HOSTNAME.test(hostname)) {
    fail("hostname", `must be an IP address or a host name, got "${hostname}"`);
  }

  let password: string | null;
  if (o.password === undefined) password = randomPassword();
  else if (o.password === null) password = null;
  else if (typeof o.password !== "string")
    fail("password", `must be a string or null, got ${describe(o.password)}`);
  else if (o.password === "") fail("password", "must not be empty (use null for no auth)");
  else if (CONTROL.test(o.password)) fail("password", "must not contain control characters");
  else password = o.password;

  const username = optionalString(o.username, "username") ?? "opencode";
  if (username.includes(":") || CONTROL.test(username)) {
    fail("username", "must not contain ':' or control characters");
  }

  const binary = optionalString(o.binary, "binary");
  const cwd = o.cwd === undefined ? home : absolutePath(o.cwd, "cwd");

  let env: Record<string, string | undefined> | undefined;
  if (o.env !== undefined) {
    if (o.env === null || typeof o.env !== "object" || Array.isArray(o.env)) {
      fail("env", `must be an object of strings, got ${describe(o.env)}`);
    }
    for (const [key, value] of Object.entries(o.env)) {
      if (value !== undefined && typeof value !== "string")
        fail(`env.${key}`, `must be a string or undefined, got ${describe(value)}`);
    }
    env = o.env as Record<string, string | undefined>;
  }

  const logFile =
    o.logFile === undefined
      ? join(home, ".config", "opencode", "serve.log")
      : absolutePath(o.logFile, "logFile");

  let logger = silentLogger;
  if (o.logger !== undefined) {
    const problem = loggerProblem(o.logger);
    if (problem !== undefined) fail("logger", problem);
    logger = o.logger as OpenCodeLogger;
  }

  if (
    o.installPluginDependencies !== undefined &&
    typeof o.installPluginDependencies !== "boolean"
  ) {
    fail(
      "installPluginDependencies",
      `must be a boolean, got ${describe(o.installPluginDependencies)}`,
    );
  }

  const { bwrap, sandboxHide } = validateSandbox(o);

  return {
    home,
    litellm,
    permission: o.permission as PermissionConfig | undefined,
    port,
    hostname,
    password,
    username,
    binary,
    cwd,
    env,
    logFile,
    logger,
    installPluginDependencies: o.installPluginDependencies === true,
    bwrap,
    sandboxHide,
  };
}

function validateSandbox(o: Record<string, unknown>): {
  bwrap: string | undefined;
  sandboxHide: readonly string[];
} {
  const sandbox = o.sandbox ?? "none";
  if (sandbox !== "bwrap" && sandbox !== "none") {
    fail(
      "sandbox",
      `must be "bwrap" or "none", got ${typeof sandbox === "string" ? `"${sandbox}"` : describe(sandbox)}`,
    );
  }
  const hide = o.sandboxHide ?? [];
  if (!Array.isArray(hide))
    fail("sandboxHide", `must be an array of absolute paths, got ${describe(hide)}`);
  const sandboxHide = hide.map((path, i) => absolutePath(path, `sandboxHide[${i}]`));
  const bwrapPath = o.bwrapPath === undefined ? undefined : absolutePath(o.bwrapPath, "bwrapPath");
  if (sandbox === "none") return { bwrap: undefined, sandboxHide };
  if (bwrapPath !== undefined) {
    if (!isExecutableFile(bwrapPath)) fail("bwrapPath", `"${bwrapPath}" is not an executable file`);
    return { bwrap: bwrapPath, sandboxHide };
  }
  const found = findBwrap();
  if (found === undefined) {
    fail(
      "sandbox",
      '"bwrap" needs bubblewrap, and no bwrap is on PATH: install it (Debian/Ubuntu: apt-get install bubblewrap), pass bwrapPath, or use sandbox: "none"',
    );
  }
  return { bwrap: found, sandboxHide };
}

function randomPassword(): string {
  return randomBytes(24).toString("base64url");
}
