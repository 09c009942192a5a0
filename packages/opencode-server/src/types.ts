import type { OpenCodeLogger } from "@taos/internal";
import type { OpenCodeModel, PermissionConfig } from "@taos/opencode-config";
import type { ExitInfo } from "./child.js";
import type { SandboxMode } from "./sandbox.js";

/** Where opencode reaches its models: the LiteLLM proxy, with the agent's own key. */
export interface LiteLLMOptions {
  /** The proxy's OpenAI-compatible base URL, e.g. `http://litellm:4000/v1`. */
  readonly baseURL: string;
  /** The agent's LiteLLM virtual key. Redacted from the log and from every error. */
  readonly apiKey: string;
  /**
   * The models the agent may use: plain ids, or `{ id, name?, limit?, options? }` with
   * opencode's per-model settings (see `@taos/opencode-config`). The first is the default.
   */
  readonly modelIds: readonly OpenCodeModel[];
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
   * about 26 packages, 95 MB with the npm cache, and the server's first prompt
   * waits for it). Off by default: an empty `node_modules` and a
   * `package-lock.json` naming the package make opencode skip the install, and
   * a `.npmrc` with `offline=true` makes any install that still starts fail at
   * once. Only plugins loaded from that directory need the package.
   * @default false
   */
  readonly installPluginDependencies?: boolean;
  /**
   * `"bwrap"`: run the server under bubblewrap, seeing the system read-only,
   * its own home and `cwd` read-write, a private `/tmp`, and none of the
   * directories in `sandboxHide` (nor the parent of `home`, `/home`, `/root`
   * or the host user's home). Needs `bwrap` (Debian: `bubblewrap`); without
   * it the constructor throws `InvalidServerOptionError` (field `sandbox`).
   * Linux only.
   * @default "none"
   */
  readonly sandbox?: SandboxMode;
  /** The `bwrap` executable. Omitted: `findBwrap()` looks on `PATH`. */
  readonly bwrapPath?: string;
  /** More absolute directories a sandboxed server must not see (each covered by an empty tmpfs). */
  readonly sandboxHide?: readonly string[];
  /**
   * Run the server as this OS user (with `gid`, both required together). The
   * host must run as root; the home, its state directories and the config
   * are given to that user before every start. One user per agent keeps
   * agents apart through the kernel's own permissions.
   */
  readonly uid?: number;
  /** The group to run the server as; required with `uid`. */
  readonly gid?: number;
  /**
   * Run an opencode whose version is outside the supported range (with a
   * warning) instead of refusing it with `UnsupportedOpenCodeVersionError`.
   * @default false
   */
  readonly allowUnsupportedVersion?: boolean;
}

export interface EnsureRunningOptions {
  /**
   * How long a start may take, wall clock. @default 20000, or 180000 for the first start
   * in a home (no opencode database yet: opencode creates and migrates it, minutes on a
   * small ARM board)
   */
  readonly deadlineMs?: number;
  readonly signal?: AbortSignal;
}

export interface StopOptions {
  /** How long to wait after SIGTERM before SIGKILL. @default 5000 */
  readonly graceMs?: number;
}

export interface RestartOptions extends EnsureRunningOptions, StopOptions {}

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
