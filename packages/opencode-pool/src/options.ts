import { availableParallelism } from "node:os";
import { isAbsolute } from "node:path";
import {
  describeValue,
  type Fail,
  fieldFailer,
  isRecord,
  loggerProblem,
  type OpenCodeLogger,
  silentLogger,
} from "@taos/internal";
import type { PermissionPolicy, QuestionPolicy } from "@taos/opencode-adapter";
import {
  type OpenCodeModel,
  type PermissionConfig,
  validateOpenCodeConfigOptions,
} from "@taos/opencode-config";
import { wedgedAfterOption } from "@taos/opencode-turn/internals";
import { InvalidPoolOptionError } from "./errors.js";
import type { Launcher } from "./launcher.js";
import { assertRssReadable } from "./rss.js";
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from "./schedule.js";

export interface OpenCodePoolOptions {
  /** Absolute; each agent's home is `<root>/<agentId>`, created 0700. */
  readonly root: string;
  /** The LiteLLM proxy every agent reaches (each with its own key). */
  readonly litellm: { readonly baseURL: string; readonly providerId?: string };
  /** How many servers may run at once. @default 4 */
  readonly maxServers?: number;
  /**
   * How many servers may be starting at once (a start ends once opencode has set up the
   * agent's working directory). A start keeps most of a core busy, and starts that share
   * the cores all finish late: one per core, the next as soon as one is taken, gets each
   * agent going sooner.
   * @default the number of cores (`os.availableParallelism()`)
   */
  readonly maxConcurrentStarts?: number;
  /** Keep the sum of the servers' RSS under this (MiB). Linux only (reads `/proc`). */
  readonly memoryBudgetMiB?: number;
  /** What a server is counted for before it is measured (MiB). @default 520 */
  readonly serverEstimateMiB?: number;
  /** A server with no turn for this long is stopped. @default 600000 (10 minutes) */
  readonly idleStopMs?: number;
  /** A turn waiting this long for a server ends with an error reply, code `pool_busy`. @default 60000 */
  readonly queueTimeoutMs?: number;
  /** Back-off after unexpected exits, and when to give up (the agent is then `failing`). */
  readonly restart?: Partial<RestartPolicy>;
  /**
   * Stop an agent's server once this many of its turns in a row ended `no_answer` or
   * `opencode_server_error` (opencode takes prompts and answers none; its health check
   * still passes): a `stop` event with reason `wedged`, and the next turn starts a fresh
   * server. The turn that tipped it is sent again once, when opencode never started it.
   * 0: never. @default 2
   */
  readonly wedgedAfter?: number;
  /** opencode's `permission` block for agents that set none of their own. */
  readonly permission?: PermissionConfig;
  /** How turns answer `permission.asked` (a turn's own option wins); default reject. */
  readonly permissionPolicy?: PermissionPolicy;
  /** How turns answer `question.asked`; default reject. */
  readonly questionPolicy?: QuestionPolicy;
  readonly logger?: OpenCodeLogger;
  /**
   * Run each local server under bubblewrap (it sees the system read-only, its
   * own home and cwd, a private `/tmp`, no other home). Default: `"bwrap"`
   * when `bwrap` is installed, else `"none"` with one warning.
   */
  readonly sandbox?: "bwrap" | "none";
  /** How long a local server's stop waits after SIGTERM before SIGKILL. @default 5000 */
  readonly stopGraceMs?: number;
  /** The `opencode` executable for local servers. Omitted: resolved like `OpenCodeServer` does. */
  readonly binary?: string;
  /** Starts the agents' servers. @default local `OpenCodeServer`s (see `localLauncher`) */
  readonly launcher?: Launcher;
}

export interface AgentSettings {
  /** The agent's LiteLLM key. Never logged, never in an error or a reply. */
  readonly apiKey: string;
  /** The models the agent may use (ids, or `{ id, limit?, ... }`); the first is its default. */
  readonly modelIds: readonly OpenCodeModel[];
  /** Where the agent works (absolute). @default its home */
  readonly cwd?: string;
  /** opencode's `permission` block for this agent; default the pool's. */
  readonly permission?: PermissionConfig;
  /**
   * Run this agent's local server as its own OS user (the host must run as
   * root): its home is handed to that user before every start.
   */
  readonly user?: { readonly uid: number; readonly gid: number };
}

export interface ResolvedPoolOptions {
  readonly root: string;
  readonly baseURL: string;
  readonly providerId: string;
  readonly maxServers: number;
  readonly maxConcurrentStarts: number;
  readonly memoryBudgetMiB: number | undefined;
  readonly serverEstimateMiB: number;
  readonly idleStopMs: number;
  readonly queueTimeoutMs: number;
  readonly restart: RestartPolicy;
  readonly wedgedAfter: number;
  readonly permission: PermissionConfig | undefined;
  readonly permissionPolicy: PermissionPolicy | undefined;
  readonly questionPolicy: QuestionPolicy | undefined;
  readonly logger: OpenCodeLogger;
  readonly sandbox: "bwrap" | "none" | undefined;
  readonly binary: string | undefined;
  readonly stopGraceMs: number;
  readonly launcher: Launcher | undefined;
}

const fail: Fail = fieldFailer((field, message) => new InvalidPoolOptionError({ field, message }));

// A directory name on every platform: no separators, no "." or "..", no leading dot or dash.
const AGENT_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Throws `InvalidPoolOptionError` unless `agentId` is a safe directory name. */
export function validateAgentId(agentId: unknown, field = "agentId"): string {
  if (typeof agentId !== "string") fail(field, `must be a string, got ${describeValue(agentId)}`);
  if (!AGENT_ID.test(agentId) || agentId.includes("..")) {
    fail(
      field,
      `must be 1-128 letters, digits, "_", "-" or "." (no "..", no slash, not starting with "." or "-"), got ${JSON.stringify(agentId.slice(0, 40))}`,
    );
  }
  return agentId;
}

function count(value: unknown, field: string, fallback: number | undefined, min = 1): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min)
    fail(field, `must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

function ms(value: unknown, field: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min)
    fail(field, `must be a finite number of milliseconds >= ${min}, got ${String(value)}`);
  return value;
}

function restartPolicy(value: unknown): RestartPolicy {
  if (value === undefined) return DEFAULT_RESTART_POLICY;
  if (!isRecord(value)) fail("restart", `must be an object, got ${describeValue(value)}`);
  const d = DEFAULT_RESTART_POLICY;
  return {
    maxExits: count(value.maxExits, "restart.maxExits", d.maxExits),
    windowMs: ms(value.windowMs, "restart.windowMs", d.windowMs),
    initialDelayMs: ms(value.initialDelayMs, "restart.initialDelayMs", d.initialDelayMs, 0),
    maxDelayMs: ms(value.maxDelayMs, "restart.maxDelayMs", d.maxDelayMs, 0),
  };
}

function absolute(value: unknown, field: string): string {
  if (typeof value !== "string" || !isAbsolute(value))
    fail(field, `must be an absolute path, got ${describeValue(value)}`);
  return value;
}

/** One start per core: a start and its instance set-up keep most of a core busy. */
export function defaultStarts(cores: number = availableParallelism()): number {
  return Math.max(1, cores);
}

/** Validates every pool option and fills in defaults; throws naming the first bad one. */
export function resolvePoolOptions(options: unknown): ResolvedPoolOptions {
  if (!isRecord(options)) fail("options", `must be an object, got ${describeValue(options)}`);
  const o = options;
  const root = absolute(o.root, "root");
  if (!isRecord(o.litellm)) fail("litellm", `must be an object, got ${describeValue(o.litellm)}`);
  const { baseURL, providerId } = o.litellm;
  // The config package checks the URL and provider id; a placeholder key and model stand in.
  validateOpenCodeConfigOptions({ baseURL, providerId, apiKey: "x", modelIds: ["x"] });
  let memoryBudgetMiB: number | undefined;
  if (o.memoryBudgetMiB !== undefined) {
    memoryBudgetMiB = count(o.memoryBudgetMiB, "memoryBudgetMiB", undefined);
    assertRssReadable("memoryBudgetMiB");
  }
  if (o.logger !== undefined) {
    const problem = loggerProblem(o.logger);
    if (problem !== undefined) fail("logger", problem);
  }
  if (o.sandbox !== undefined && o.sandbox !== "bwrap" && o.sandbox !== "none")
    fail("sandbox", `must be "bwrap" or "none", got ${JSON.stringify(o.sandbox)}`);
  if (o.binary !== undefined && (typeof o.binary !== "string" || o.binary === ""))
    fail("binary", "must be a non-empty string");
  if (
    o.launcher !== undefined &&
    !(isRecord(o.launcher) && typeof o.launcher.launch === "function")
  )
    fail("launcher", "must be an object with a launch(agent) method");
  for (const name of ["permissionPolicy", "questionPolicy"] as const) {
    const policy = o[name];
    if (policy !== undefined && typeof policy !== "function" && typeof policy !== "string")
      fail(name, `must be a policy name or function, got ${describeValue(policy)}`);
  }
  if (o.permission !== undefined)
    validateOpenCodeConfigOptions({
      baseURL,
      apiKey: "x",
      modelIds: ["x"],
      permission: o.permission,
    });
  return {
    root,
    baseURL: baseURL as string,
    providerId: (providerId as string | undefined) ?? "litellm",
    maxServers: count(o.maxServers, "maxServers", 4),
    maxConcurrentStarts: count(o.maxConcurrentStarts, "maxConcurrentStarts", defaultStarts()),
    memoryBudgetMiB,
    serverEstimateMiB: count(o.serverEstimateMiB, "serverEstimateMiB", 520),
    idleStopMs: ms(o.idleStopMs, "idleStopMs", 600_000),
    queueTimeoutMs: ms(o.queueTimeoutMs, "queueTimeoutMs", 60_000),
    restart: restartPolicy(o.restart),
    wedgedAfter: wedgedAfterOption(o.wedgedAfter, (message) => fail("wedgedAfter", message)),
    permission: o.permission as PermissionConfig | undefined,
    permissionPolicy: o.permissionPolicy as PermissionPolicy | undefined,
    questionPolicy: o.questionPolicy as QuestionPolicy | undefined,
    logger: (o.logger as OpenCodeLogger | undefined) ?? silentLogger,
    sandbox: o.sandbox as "bwrap" | "none" | undefined,
    binary: o.binary as string | undefined,
    stopGraceMs: ms(o.stopGraceMs, "stopGraceMs", 5_000, 0),
    launcher: o.launcher as Launcher | undefined,
  };
}

function validateUser(user: unknown, field: string): void {
  if (user === undefined) return;
  if (!isRecord(user)) fail(field, `must be { uid, gid }, got ${describeValue(user)}`);
  for (const id of ["uid", "gid"] as const) {
    const value = user[id];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
      fail(`${field}.${id}`, `must be an integer >= 0, got ${describeValue(value)}`);
  }
  if (process.getuid?.() !== 0)
    fail(field, "running an agent as another user needs the host to run as root");
}

/** Validates an agent's settings (the key and models through the config package). */
export function validateAgentSettings(
  settings: unknown,
  pool: ResolvedPoolOptions,
  field: string,
): AgentSettings {
  if (!isRecord(settings)) fail(field, `must be an object, got ${describeValue(settings)}`);
  const { apiKey, modelIds, cwd, permission } = settings;
  validateOpenCodeConfigOptions({
    baseURL: pool.baseURL,
    providerId: pool.providerId,
    apiKey,
    modelIds,
    permission: permission ?? pool.permission,
  });
  if (cwd !== undefined) absolute(cwd, `${field}.cwd`);
  validateUser(settings.user, `${field}.user`);
  return settings as unknown as AgentSettings;
}
