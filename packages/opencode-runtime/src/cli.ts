#!/usr/bin/env node
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import type { OpenCodeLogger, Reply } from "@taos/opencode-adapter";
import {
  type CliCommand,
  type CliCommonOptions,
  CliUsageError,
  parseCliArgs,
  USAGE,
} from "./cli-args.js";
import { CliOtelUnavailableError, type CliTelemetry, startCliTelemetry } from "./cli-otel.js";
import { OpenCodeRuntime } from "./runtime.js";

type Session = Extract<CliCommand, { kind: "run" | "serve" }>;

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_SIGINT = 130;
// 128 + the signal number, as a shell reports a process the signal ended.
const EXIT_ON_SIGNAL = { SIGHUP: 129, SIGINT: EXIT_SIGINT, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof EXIT_ON_SIGNAL;
const HANDLED_SIGNALS = Object.keys(EXIT_ON_SIGNAL) as HandledSignal[];

/** Writes to our own stdout/stderr with the key masked; a closed pipe is not an error. */
class Output {
  #stdoutMidLine = false;
  readonly #secrets: string[] = [];

  constructor() {
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
  }

  addSecret(secret: string): void {
    if (secret) this.#secrets.push(secret);
  }

  mask(text: string): string {
    let masked = text;
    for (const secret of this.#secrets) masked = masked.split(secret).join("***");
    return masked;
  }

  out(text: string): void {
    if (text === "") return;
    process.stdout.write(this.mask(text));
    this.#stdoutMidLine = !text.endsWith("\n");
  }

  /** A whole line on stderr, after ending any half-written stdout line. */
  err(line: string): void {
    this.endLine();
    process.stderr.write(`${this.mask(line)}\n`);
  }

  endLine(): void {
    if (this.#stdoutMidLine) this.out("\n");
  }

  async flush(): Promise<void> {
    await Promise.all(
      [process.stdout, process.stderr].map(
        (stream) => new Promise<void>((resolve) => stream.write("", () => resolve())),
      ),
    );
  }
}

/** A spinner on stderr while something slow runs, only when stderr is a terminal. */
async function withSpinner<T>(enabled: boolean, label: string, work: Promise<T>): Promise<T> {
  if (!enabled) return work;
  const frames = ["|", "/", "-", "\\"];
  let frame = 0;
  const draw = (): void => {
    process.stderr.write(`\r${frames[frame++ % frames.length]} ${label}`);
  };
  draw();
  const timer = setInterval(draw, 100);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    process.stderr.write("\r\x1b[K");
  }
}

function verboseLogger(output: Output): OpenCodeLogger {
  const log =
    (level: string) =>
    (obj: object, msg?: string): void => {
      let fields = "";
      try {
        fields = Object.keys(obj).length > 0 ? ` ${JSON.stringify(obj)}` : "";
      } catch {
        fields = "";
      }
      output.err(`[${level}] ${msg ?? ""}${fields}`);
    };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function oneLine(text: string, max = 120): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** `bash: list files`, `read: /etc/hosts`: the most telling argument of a tool call. */
function toolSummary(tool: string, args: Readonly<Record<string, unknown>>): string {
  for (const key of ["description", "command", "filePath", "path", "pattern", "url", "query"]) {
    const value = args[key];
    if (typeof value === "string" && value.trim() !== "") return `${tool}: ${oneLine(value)}`;
  }
  let json = "";
  try {
    json = JSON.stringify(args);
  } catch {
    json = "";
  }
  return json && json !== "{}" ? `${tool} ${oneLine(json)}` : tool;
}

function renderText(output: Output, verbose: boolean): (reply: Reply) => void {
  return (reply) => {
    switch (reply.kind) {
      case "delta":
        output.out(reply.content);
        break;
      case "reasoning":
        if (verbose) output.err(`[reasoning] ${oneLine(reply.content)}`);
        break;
      case "tool_call":
        output.err(`[tool] ${toolSummary(reply.tool, reply.args)}`);
        break;
      case "tool_result":
        if (!reply.success) output.err(`[tool] ${reply.tool} failed: ${oneLine(reply.result)}`);
        break;
      case "final":
        output.endLine();
        break;
      case "error":
        output.err(`error: ${reply.error}`);
        break;
    }
  };
}

/** Where a run's replies and failures go: NDJSON on stdout with --json, else text and stderr. */
class Reporter {
  readonly traceId: string = randomUUID();

  constructor(
    readonly output: Output,
    private readonly asJson: boolean,
  ) {}

  readonly json = (reply: Reply): void => {
    this.output.out(`${JSON.stringify(reply)}\n`);
  };

  /** A failure outside the turn (no reply from the adapter tells of it). */
  failure(text: string): void {
    if (this.asJson)
      this.json({ kind: "error", trace_id: this.traceId, error: this.output.mask(text) });
    else this.output.err(`error: ${text}`);
  }
}

/** Everything one run or serve owns, released in reverse order whatever happens. */
class Resources {
  home: { path: string; temporary: boolean } | undefined;
  llm: FakeLiteLLM | undefined;
  runtime: OpenCodeRuntime | undefined;

  async release(output: Output): Promise<void> {
    const steps: [string, () => Promise<void>][] = [
      ["stop opencode", async () => this.runtime?.stop()],
      ["stop the stand-in", async () => this.llm?.close()],
      [
        "remove the temporary home",
        async () => {
          if (this.home?.temporary)
            await rm(this.home.path, { recursive: true, force: true, maxRetries: 3 });
        },
      ],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (error) {
        output.err(`warning: could not ${what}: ${message(error)}`);
      }
    }
  }
}

async function prepare(
  options: CliCommonOptions,
  resources: Resources,
  output: Output,
  logger: OpenCodeLogger | undefined,
): Promise<OpenCodeRuntime> {
  if (options.home) {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
    resources.home = { path: options.home, temporary: false };
  } else {
    resources.home = { path: await mkdtemp(join(tmpdir(), "taos-opencode-")), temporary: true };
  }
  let baseURL: string;
  let apiKey: string;
  if (options.upstream.kind === "litellm") {
    ({ baseUrl: baseURL, apiKey } = options.upstream);
  } else {
    apiKey = `sk-taos-${randomBytes(18).toString("base64url")}`;
    resources.llm = await startFakeLiteLLM({ keys: [apiKey], models: [options.modelId] });
    baseURL = resources.llm.url;
    logger?.info({ url: baseURL }, "built-in LiteLLM stand-in started");
  }
  output.addSecret(apiKey);
  resources.runtime = new OpenCodeRuntime({
    home: resources.home.path,
    litellm: { baseURL, apiKey, modelIds: [options.modelId] },
    ...(options.port ? { port: options.port } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(logger ? { logger } : {}),
  });
  return resources.runtime;
}

/** What a run or serve works with. */
interface Context {
  readonly options: CliCommonOptions;
  readonly runtime: OpenCodeRuntime;
  readonly resources: Resources;
  readonly report: Reporter;
  readonly signal: AbortSignal;
  readonly logger: OpenCodeLogger | undefined;
}

/** True once the server runs; false when it could not start (reported) or a signal came. */
async function startServer(context: Context): Promise<boolean> {
  const { options, runtime, resources, report, signal, logger } = context;
  // Not with --verbose either: its log lines would cut through the spinner's line.
  const spinner = !options.json && !options.verbose && process.stderr.isTTY === true;
  try {
    await withSpinner(spinner, "starting opencode…", runtime.start({ signal }));
  } catch (error) {
    if (!signal.aborted) report.failure(`opencode server could not be started: ${message(error)}`);
    return false;
  }
  logger?.info(
    { pid: runtime.server.pid, url: runtime.server.baseUrl, home: resources.home?.path },
    "opencode serve running",
  );
  return true;
}

async function runTurn(
  command: Extract<CliCommand, { kind: "run" }>,
  context: Context,
): Promise<number> {
  const { options, runtime, report, signal } = context;
  const { output } = report;
  if (!(await startServer(context))) return signal.aborted ? EXIT_SIGINT : EXIT_FAILED;
  const result = await runtime.turn(command.message, {
    traceId: report.traceId,
    sink: options.json ? report.json : renderText(output, options.verbose),
    ...(command.sessionId ? { sessionId: command.sessionId } : {}),
    signal,
  });
  output.endLine();
  if (result.sessionId) output.err(`session: ${result.sessionId}`);
  if (signal.aborted) return EXIT_SIGINT;
  return result.status === "completed" ? EXIT_OK : EXIT_FAILED;
}

async function serve(context: Context): Promise<number> {
  const { options, runtime, resources, report, signal } = context;
  const { output } = report;
  // serve ends on a signal by design: that is a clean exit.
  if (!(await startServer(context))) return signal.aborted ? EXIT_OK : EXIT_FAILED;
  const server = runtime.server;
  const auth = server.auth;
  const info = {
    url: server.baseUrl,
    username: auth?.username ?? null,
    password: auth?.password ?? null,
    providerId: "litellm",
    modelId: options.modelId,
    pid: server.pid ?? null,
    home: resources.home?.path ?? null,
    ...(resources.llm ? { standIn: resources.llm.url } : {}),
  };
  if (options.json) output.out(`${JSON.stringify(info)}\n`);
  else {
    output.out(
      [
        `opencode serve listening on ${info.url}`,
        auth ? `  username: ${auth.username}\n  password: ${auth.password}` : "  no authentication",
        `  model:    litellm/${options.modelId}${resources.llm ? ` (built-in stand-in at ${resources.llm.url})` : ""}`,
        `  home:     ${info.home}${resources.home?.temporary ? " (temporary, removed at exit)" : ""}`,
        "Press Ctrl-C to stop.",
        "",
      ].join("\n"),
    );
  }
  // Runs until a signal, or until the server dies on its own.
  const died = await new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(false);
    const off = server.onExit((exit) => {
      signal.removeEventListener("abort", onAbort);
      output.err(
        `error: opencode serve exited (code ${exit.code ?? "none"}, signal ${exit.signal ?? "none"})`,
      );
      resolve(true);
    });
    const onAbort = (): void => {
      off();
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return died ? EXIT_FAILED : EXIT_OK;
}

async function main(argv: readonly string[], output: Output): Promise<number> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv, process.env);
  } catch (error) {
    if (!CliUsageError.isInstance(error)) throw error;
    output.err(`taos-opencode: ${error.message}\nRun "taos-opencode --help" for usage.`);
    return EXIT_USAGE;
  }
  if (command.kind === "help") {
    output.out(USAGE);
    return EXIT_OK;
  }
  if (command.kind === "version") {
    const pkg = createRequire(import.meta.url)("../package.json") as { version: string };
    output.out(`${pkg.version}\n`);
    return EXIT_OK;
  }
  // The key stays in this process: children (opencode, its tools) must not inherit it.
  delete process.env.TAOS_LITELLM_KEY;
  return session(command, output);
}

async function session(command: Session, output: Output): Promise<number> {
  const { options } = command;
  const logger = options.verbose ? verboseLogger(output) : undefined;
  const controller = new AbortController();
  const report = new Reporter(output, options.json && command.kind === "run");
  let signalExit: number | undefined;
  const onSignal = (name: NodeJS.Signals): void => {
    if (signalExit !== undefined) {
      // A second Ctrl-C: leave now; the server package kills its servers on exit.
      process.exit(signalExit);
    }
    signalExit = EXIT_ON_SIGNAL[name as HandledSignal];
    if (!options.json && command.kind === "run") output.err("interrupted, stopping…");
    controller.abort(new Error(`interrupted by ${name}`));
  };
  for (const name of HANDLED_SIGNALS) process.on(name, onSignal);
  const resources = new Resources();
  let telemetry: CliTelemetry | undefined;
  let code: number;
  try {
    if (options.otel) telemetry = await startCliTelemetry((line) => output.err(line));
    const runtime = await prepare(options, resources, output, logger);
    const context: Context = {
      options,
      runtime,
      resources,
      report,
      signal: controller.signal,
      logger,
    };
    code = command.kind === "run" ? await runTurn(command, context) : await serve(context);
  } catch (error) {
    report.failure(message(error));
    code = CliOtelUnavailableError.isInstance(error) ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    await resources.release(output);
    await telemetry?.shutdown().catch((error: unknown) => {
      output.err(`warning: could not print the telemetry: ${message(error)}`);
    });
    for (const name of HANDLED_SIGNALS) process.off(name, onSignal);
  }
  // serve ends on a signal by design; a run that a signal cut short says so.
  if (signalExit !== undefined && command.kind === "run") code = signalExit;
  return code;
}

const output = new Output();
main(process.argv.slice(2), output).then(
  async (code) => {
    await output.flush();
    process.exit(code);
  },
  async (error: unknown) => {
    output.err(`taos-opencode: ${message(error)}`);
    await output.flush();
    process.exit(EXIT_FAILED);
  },
);
