import { statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { TaosOpenCodeError } from "@taos/opencode-config";

const marker = "taos.opencode.error.CliUsageError";

/** Bad command-line input; `flag` names the option (or variable) at fault. Exit code 2. */
export class CliUsageError extends TaosOpenCodeError {
  readonly flag: string | undefined;

  constructor({ message, flag }: { readonly message: string; readonly flag?: string }) {
    super({ message });
    this.flag = flag;
    TaosOpenCodeError.brand(this, marker);
  }

  static override isInstance(value: unknown): value is CliUsageError {
    return TaosOpenCodeError.hasMarker(value, marker);
  }
}

/** Where the model calls go: a LiteLLM proxy, or the built-in stand-in. */
export type CliUpstream =
  | { readonly kind: "litellm"; readonly baseUrl: string; readonly apiKey: string }
  | { readonly kind: "stand-in" };

export interface CliCommonOptions {
  readonly upstream: CliUpstream;
  readonly modelId: string;
  /** Absolute; undefined: a temporary home removed at exit. */
  readonly home: string | undefined;
  /** Absolute; undefined: the home. */
  readonly cwd: string | undefined;
  /** 0: pick a free port. */
  readonly port: number;
  readonly json: boolean;
  readonly verbose: boolean;
  /** Print OpenTelemetry spans and metrics to stderr. */
  readonly otel: boolean;
}

export type CliCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
      readonly kind: "run";
      readonly message: string;
      readonly sessionId: string | undefined;
      readonly options: CliCommonOptions;
    }
  | { readonly kind: "serve"; readonly options: CliCommonOptions };

/** The model the built-in stand-in answers as. */
export const STAND_IN_MODEL = "fake-model";

export const USAGE: string = `Usage:
  taos-opencode run "message" [options]   run one turn and print the reply
  taos-opencode serve [options]           start a server and keep it until Ctrl-C
  taos-opencode --help | --version

Options:
  --base-url URL   LiteLLM (OpenAI-compatible) base URL, e.g. http://litellm:4000/v1;
                   the key comes from TAOS_LITELLM_KEY. Without it, a built-in
                   stand-in answers by echoing the message (no network needed).
  --model ID       model id (required with --base-url; default ${STAND_IN_MODEL})
  --session ID     (run) continue this session instead of starting a new one
  --cwd DIR        directory opencode works in (default: the home)
  --home DIR       opencode home, kept afterwards (default: a temporary one, removed at exit)
  --port N         server port (default: a free one)
  --json           NDJSON: one reply per line on stdout (serve: one line with the URL)
  --verbose        log progress, the server pid included, to stderr
  --otel           print OpenTelemetry spans (as they end) and metrics (at exit) to
                   stderr; needs @opentelemetry/api, sdk-trace-base and sdk-metrics
  -h, --help       show this help
  -V, --version    show the version

Environment:
  TAOS_LITELLM_KEY  the agent's LiteLLM key (required with --base-url; never pass it as a flag)

Exit codes: 0 completed, 1 the turn failed, 2 bad usage, 130 interrupted.
`;

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
  help: { type: "boolean", short: "h" },
} as const;

/** Parses `argv` (without node and the script), reading the key from `env`. */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliCommand {
  const [first, ...rest] = argv;
  if (first === "run" || first === "serve") {
    const parsed = parse(rest);
    if (parsed.values.help) return { kind: "help" };
    const options = commonFrom(parsed.values, env);
    if (first === "serve") {
      if (parsed.values.session !== undefined) {
        throw new CliUsageError({ message: "--session is only for run", flag: "--session" });
      }
      if (parsed.positionals.length > 0) {
        throw new CliUsageError({
          message: `serve takes no message (got "${parsed.positionals[0]}")`,
        });
      }
      return { kind: "serve", options };
    }
    const message = parsed.positionals.join(" ");
    if (message.trim() === "") {
      throw new CliUsageError({ message: 'run needs a message, e.g. taos-opencode run "Hello"' });
    }
    const sessionId = parsed.values.session;
    if (sessionId !== undefined && !/^\S+$/.test(sessionId)) {
      throw new CliUsageError({ message: "--session must be a session id", flag: "--session" });
    }
    if (sessionId !== undefined && options.home === undefined) {
      throw new CliUsageError({
        message: "--session needs --home: a temporary home holds no earlier session",
        flag: "--session",
      });
    }
    return { kind: "run", message, sessionId, options };
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
  if (first === undefined) throw new CliUsageError({ message: "missing command: run or serve" });
  throw new CliUsageError({ message: `unknown command "${first}": use run or serve` });
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

function commonFrom(
  values: {
    "base-url"?: string;
    model?: string;
    cwd?: string;
    home?: string;
    port?: string;
    json?: boolean;
    verbose?: boolean;
    otel?: boolean;
  },
  env: Readonly<Record<string, string | undefined>>,
): CliCommonOptions {
  let upstream: CliUpstream = { kind: "stand-in" };
  const baseUrl = values["base-url"];
  if (baseUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(baseUrl);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new CliUsageError({
        message: `--base-url must be an http(s) URL (got "${baseUrl}")`,
        flag: "--base-url",
      });
    }
    const apiKey = env.TAOS_LITELLM_KEY;
    if (!apiKey) {
      throw new CliUsageError({
        message: "--base-url needs the LiteLLM key in the TAOS_LITELLM_KEY environment variable",
        flag: "TAOS_LITELLM_KEY",
      });
    }
    upstream = { kind: "litellm", baseUrl, apiKey };
  }
  const modelId = values.model ?? (baseUrl === undefined ? STAND_IN_MODEL : undefined);
  if (modelId === undefined) {
    throw new CliUsageError({ message: "--model is required with --base-url", flag: "--model" });
  }
  if (modelId.trim() === "") {
    throw new CliUsageError({ message: "--model must not be empty", flag: "--model" });
  }
  let port = 0;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65_535) {
      throw new CliUsageError({
        message: `--port must be an integer from 0 to 65535 (got "${values.port}")`,
        flag: "--port",
      });
    }
  }
  return {
    upstream,
    modelId,
    home: values.home === undefined ? undefined : directory(values.home, "--home", false),
    cwd: values.cwd === undefined ? undefined : directory(values.cwd, "--cwd", true),
    port,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    otel: values.otel ?? false,
  };
}

function directory(value: string, flag: string, mustExist: boolean): string {
  if (value.trim() === "") throw new CliUsageError({ message: `${flag} must not be empty`, flag });
  const path = resolve(value);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat ? !stat.isDirectory() : mustExist) {
    throw new CliUsageError({
      message: `${flag}: ${stat ? "not a directory" : "no such directory"}: ${path}`,
      flag,
    });
  }
  return path;
}
