import { parseArgs } from "node:util";
import {
  type CliCommand,
  type CliCommonOptions,
  type CliServerTarget,
  type CliTurnOptions,
  type CliUpstream,
  CliUsageError,
} from "./cli-command-types.js";
import { parseHostArgs } from "./cli-host.js";
import { STAND_IN_MODEL } from "./cli-usage.js";
import { directory, filePath, httpUrl, port, text } from "./cli-values.js";

const commandOptions = {
  "base-url": { type: "string" },
  model: { type: "string" },
  cwd: { type: "string" },
  home: { type: "string" },
  port: { type: "string" },
  json: { type: "boolean" },
  verbose: { type: "boolean" },
  otel: { type: "boolean" },
  session: { type: "string" },
  server: { type: "string" },
  agent: { type: "string" },
  system: { type: "string" },
  variant: { type: "string" },
  file: { type: "string", multiple: true },
  schema: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parse>["values"];
type Env = Readonly<Record<string, string | undefined>>;

/** Flags that only a run takes. */
const RUN_ONLY = ["session", "server", "agent", "system", "variant", "file", "schema"] as const;
/** Flags about a server this command starts: meaningless with --server. */
const SPAWN_ONLY = ["base-url", "home", "cwd", "port"] as const;

/** Parses `argv` (without node and the script), reading the key and password from `env`. */
export function parseCliArgs(argv: readonly string[], env: Env): CliCommand {
  const [first, ...rest] = argv;
  if (first === "host") {
    if (rest.includes("--help") || rest.includes("-h")) return { kind: "help" };
    return parseOrExplain(() => parseHostArgs(rest, env));
  }
  if (first === "run" || first === "serve") {
    const parsed = parse(rest);
    if (parsed.values.help) return { kind: "help" };
    return first === "run"
      ? parseRun(parsed.values, parsed.positionals, env)
      : parseServe(parsed.values, parsed.positionals, env);
  }
  const parsed = parseOrExplain(() =>
    parseArgs({
      args: [...argv],
      options: { help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "V" } },
      allowPositionals: true,
      strict: true,
    }),
  );
  if (parsed.values.help) return { kind: "help" };
  if (parsed.values.version) return { kind: "version" };
  if (first === undefined)
    throw new CliUsageError({ message: "missing command: run, serve or host" });
  throw new CliUsageError({ message: `unknown command "${first}": use run, serve or host` });
}

function parseServe(values: Values, positionals: readonly string[], env: Env): CliCommand {
  for (const name of RUN_ONLY) {
    if (values[name] !== undefined) {
      throw new CliUsageError({ message: `--${name} is only for run`, flag: `--${name}` });
    }
  }
  if (positionals.length > 0) {
    throw new CliUsageError({ message: `serve takes no message (got "${positionals[0]}")` });
  }
  return { kind: "serve", options: commonFrom(values, env) };
}

function parseRun(values: Values, positionals: readonly string[], env: Env): CliCommand {
  const message = positionals.join(" ");
  if (message.trim() === "") {
    throw new CliUsageError({ message: 'run needs a message, e.g. taos-opencode run "Hello"' });
  }
  const server = values.server === undefined ? undefined : serverTarget(values, env);
  const options = commonFrom(values, env);
  const sessionId = values.session;
  if (sessionId !== undefined && !/^\S+$/.test(sessionId)) {
    throw new CliUsageError({ message: "--session must be a session id", flag: "--session" });
  }
  if (sessionId !== undefined && options.home === undefined && server === undefined) {
    throw new CliUsageError({
      message: "--session needs --home or --server: a temporary home holds no earlier session",
      flag: "--session",
    });
  }
  const turn: CliTurnOptions = {
    sessionId,
    agent: values.agent === undefined ? undefined : text(values.agent, "--agent"),
    system: values.system === undefined ? undefined : text(values.system, "--system"),
    variant: values.variant === undefined ? undefined : text(values.variant, "--variant"),
    files: (values.file ?? []).map((path) => filePath(path, "--file")),
    schemaFile: values.schema === undefined ? undefined : filePath(values.schema, "--schema"),
  };
  return { kind: "run", message, turn, server, options };
}

function serverTarget(values: Values, env: Env): CliServerTarget {
  for (const name of SPAWN_ONLY) {
    if (values[name] !== undefined) {
      throw new CliUsageError({
        message: `--${name} is for a server this command starts; --server uses one already running`,
        flag: `--${name}`,
      });
    }
  }
  const url = httpUrl(values.server ?? "", "--server");
  if (url.username || url.password) {
    throw new CliUsageError({
      message: "--server must not hold credentials: the password goes in TAOS_OPENCODE_PASSWORD",
      flag: "--server",
    });
  }
  const password = env.TAOS_OPENCODE_PASSWORD;
  return { url: url.href.replace(/\/+$/, ""), password: password ? password : undefined };
}

function parse(args: readonly string[]) {
  return parseOrExplain(() =>
    parseArgs({ args: [...args], options: commandOptions, allowPositionals: true, strict: true }),
  );
}

// node:util's messages are long and name the flag in quotes: keep the flag, say it briefly.
function parseOrExplain<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    const flag = /'(-{1,2}[^'\s]+)/.exec(message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && flag) {
      throw new CliUsageError({ message: `unknown option ${flag}`, flag });
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && flag) {
      const needsValue = /argument missing/.test(message);
      throw new CliUsageError({
        message: needsValue ? `${flag} needs a value` : `${flag} takes no value`,
        flag,
      });
    }
    throw new CliUsageError({ message, ...(flag ? { flag } : {}) });
  }
}

function commonFrom(values: Values, env: Env): CliCommonOptions {
  const baseURL = values["base-url"];
  const upstream: CliUpstream =
    baseURL === undefined ? { kind: "stand-in" } : litellm(baseURL, env);
  const modelId = values.model ?? (baseURL === undefined ? STAND_IN_MODEL : undefined);
  if (modelId === undefined) {
    throw new CliUsageError({ message: "--model is required with --base-url", flag: "--model" });
  }
  return {
    upstream,
    modelId: text(modelId, "--model"),
    home: values.home === undefined ? undefined : directory(values.home, "--home", false),
    cwd: values.cwd === undefined ? undefined : directory(values.cwd, "--cwd", true),
    port: values.port === undefined ? 0 : port(values.port),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    otel: values.otel ?? false,
  };
}

function litellm(baseURL: string, env: Env): CliUpstream {
  httpUrl(baseURL, "--base-url");
  const apiKey = env.TAOS_LITELLM_KEY;
  if (!apiKey) {
    throw new CliUsageError({
      message: "--base-url needs the LiteLLM key in the TAOS_LITELLM_KEY environment variable",
      flag: "TAOS_LITELLM_KEY",
    });
  }
  return { kind: "litellm", baseURL, apiKey };
}
