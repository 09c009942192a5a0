import { join } from "node:path";

/**
 * The switches a host service wants by default, each checked against
 * `opencode serve` 1.18.33 (see the README for what was observed). Override any
 * of them through the `env` option; `undefined` removes one. Sharing is turned off
 * in the config (`"share": "disabled"`), not with `OPENCODE_DISABLE_SHARE`: with that
 * variable, an abort during a fresh server's first prompt leaves opencode failing
 * every later prompt.
 */
export const DEFAULT_SERVER_ENV: Readonly<Record<string, string>> = Object.freeze({
  /** No self-update: the version is the one the host installed. */
  OPENCODE_DISABLE_AUTOUPDATE: "1",
  /** No fetch of the models.dev catalogue at start and hourly (it fails and logs errors offline). */
  OPENCODE_DISABLE_MODELS_FETCH: "1",
  /**
   * A project's own `opencode.json` or `.opencode/` cannot change the agent's
   * provider (a project file can otherwise send the agent's key to any URL).
   */
  OPENCODE_DISABLE_PROJECT_CONFIG: "1",
  /** No `~/.claude/CLAUDE.md` or Claude skills in the agent's prompt: taOS sets the prompt. */
  OPENCODE_DISABLE_CLAUDE_CODE: "1",
});

/** The variables that keep one server's state under its home; always set, never overridden. */
export function isolationEnv(home: string): Record<string, string> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CACHE_HOME: join(home, ".cache"),
    XDG_STATE_HOME: join(home, ".local", "state"),
  };
}

/**
 * The child's whole environment: the host's, minus every `OPENCODE_*`
 * variable (a host's own opencode settings, e.g. `OPENCODE_CONFIG_CONTENT`,
 * would otherwise reach the agent), plus the defaults, the caller's `env`,
 * the isolation variables and the server's auth.
 */
export function buildServerEnv(options: {
  readonly home: string;
  readonly env: Readonly<Record<string, string | undefined>> | undefined;
  readonly username: string;
  readonly password: string | null;
  readonly base?: Readonly<Record<string, string | undefined>>;
}): Record<string, string> {
  const merged: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(options.base ?? process.env)) {
    if (!key.startsWith("OPENCODE_")) merged[key] = value;
  }
  Object.assign(merged, DEFAULT_SERVER_ENV, options.env, isolationEnv(options.home));
  merged.OPENCODE_SERVER_USERNAME = options.username;
  merged.OPENCODE_SERVER_PASSWORD = options.password ?? undefined;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) if (value !== undefined) env[key] = value;
  return env;
}
