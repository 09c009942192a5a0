#!/usr/bin/env node
import { createRequire } from "node:module";
import { parseCliArgs } from "./cli-args.js";
import { type CliCommand, CliUsageError } from "./cli-command-types.js";
import {
  EXIT_FAILED,
  EXIT_OK,
  EXIT_SIGINT,
  EXIT_USAGE,
  runOnServer,
  runTurn,
  serve,
} from "./cli-commands.js";
import { type CliHostCommand, runHost } from "./cli-host.js";
import { type RunInputs, readRunInputs } from "./cli-inputs.js";
import { CliOtelUnavailableError, type CliTelemetry, startCliTelemetry } from "./cli-otel.js";
import { message, Output, Reporter, verboseLogger } from "./cli-output.js";
import { type CommandContext, Resources } from "./cli-session.js";
import { USAGE } from "./cli-usage.js";

type Session = Extract<CliCommand, { kind: "run" | "serve" }>;

// 128 + the signal number, as a shell reports a process the signal ended.
const EXIT_ON_SIGNAL = { SIGHUP: 129, SIGINT: EXIT_SIGINT, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof EXIT_ON_SIGNAL;
const HANDLED_SIGNALS = Object.keys(EXIT_ON_SIGNAL) as HandledSignal[];

const NO_INPUTS: RunInputs = { attachments: [], schema: undefined };

async function main(argv: readonly string[], output: Output): Promise<number> {
  let command: CliCommand;
  let inputs = NO_INPUTS;
  try {
    command = parseCliArgs(argv, process.env);
    if (command.kind === "run") inputs = await readRunInputs(command.turn);
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
  // The key and the password stay in this process: children (opencode, its tools) must not
  // inherit them.
  delete process.env.TAOS_LITELLM_KEY;
  delete process.env.TAOS_OPENCODE_PASSWORD;
  delete process.env.TAOS_HOST_SECRET;
  if (command.kind === "host") return host(command, output);
  return session(command, inputs, output);
}

/** `host`: the pool behind its API until a signal; a second signal leaves at once. */
async function host(command: CliHostCommand, output: Output): Promise<number> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(EXIT_ON_SIGNAL[name as HandledSignal]);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  for (const name of HANDLED_SIGNALS) process.on(name, onSignal);
  try {
    return await runHost(command, output, controller.signal);
  } catch (error) {
    output.err(`taos-opencode host: ${message(error)}`);
    return EXIT_FAILED;
  } finally {
    for (const name of HANDLED_SIGNALS) process.off(name, onSignal);
  }
}

/** Runs a command with signal handling: a signal aborts it, and everything it started stops. */
async function session(command: Session, inputs: RunInputs, output: Output): Promise<number> {
  const { options } = command;
  const controller = new AbortController();
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
  const context: CommandContext = {
    options,
    report: new Reporter(output, options.json && command.kind === "run"),
    signal: controller.signal,
    logger: options.verbose ? verboseLogger(output) : undefined,
    resources: new Resources(),
  };
  let telemetry: CliTelemetry | undefined;
  let code: number;
  try {
    if (options.otel) telemetry = await startCliTelemetry((line) => output.err(line));
    code = await dispatch(command, inputs, context);
  } catch (error) {
    context.report.failure(message(error));
    code = CliOtelUnavailableError.isInstance(error) ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    await context.resources.release(output);
    await telemetry?.shutdown().catch((error: unknown) => {
      output.err(`warning: could not print the telemetry: ${message(error)}`);
    });
    for (const name of HANDLED_SIGNALS) process.off(name, onSignal);
  }
  // serve ends on a signal by design; a run that a signal cut short says so.
  if (signalExit !== undefined && command.kind === "run") code = signalExit;
  return code;
}

function dispatch(command: Session, inputs: RunInputs, context: CommandContext): Promise<number> {
  if (command.kind === "serve") return serve(context);
  if (command.server !== undefined) return runOnServer(command, command.server, inputs, context);
  return runTurn(command, inputs, context);
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
