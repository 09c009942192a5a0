import type { Sink, TurnResult } from "@taos/opencode-adapter";
import { driveTurn } from "@taos/opencode-turn";
import type { CliCommand, CliServerTarget } from "./cli-command-types.js";
import type { RunInputs } from "./cli-inputs.js";
import { renderText } from "./cli-output.js";
import {
  type CommandContext,
  prepareRuntime,
  type RuntimeContext,
  startServer,
} from "./cli-session.js";
import type { RuntimeTurnOptions } from "./runtime.js";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_SIGINT = 130;

type RunCommand = Extract<CliCommand, { kind: "run" }>;

/** The per-turn options of a run, from its flags and the files read for it. */
type CliTurn = Omit<RuntimeTurnOptions, "traceId" | "sink">;

function turnOptions(command: RunCommand, inputs: RunInputs, context: CommandContext): CliTurn {
  const { turn } = command;
  const { output } = context.report;
  return {
    sessionId: turn.sessionId,
    agent: turn.agent,
    system: turn.system,
    variant: turn.variant,
    attachments: inputs.attachments.length > 0 ? inputs.attachments : undefined,
    format:
      inputs.schema === undefined ? undefined : { type: "json_schema", schema: inputs.schema },
    onStatus: (update) => {
      // opencode numbers its retries from 1: the first retry is the model call's second attempt.
      if (update.type === "retry") {
        output.err(`retrying the model call (attempt ${update.attempt + 1}): ${update.message}`);
      }
    },
    logger: context.logger,
  };
}

function sinkOf(context: CommandContext, inputs: RunInputs): Sink {
  const { options, report } = context;
  if (options.json) return report.json;
  return renderText(report.output, { structured: inputs.schema !== undefined });
}

/** Prints what a finished turn leaves (the structured object, its session); gives the exit code. */
function finish(result: TurnResult, inputs: RunInputs, context: CommandContext): number {
  const { options, report, signal } = context;
  const { output } = report;
  output.endLine();
  const structured = inputs.schema !== undefined && result.status === "completed";
  if (structured && !options.json) output.out(`${JSON.stringify(result.structured, null, 2)}\n`);
  if (result.sessionId) output.err(`session: ${result.sessionId}`);
  if (signal.aborted) return EXIT_SIGINT;
  return result.status === "completed" ? EXIT_OK : EXIT_FAILED;
}

/** `run`: start a server (and the stand-in), run one turn on it. */
export async function runTurn(
  command: RunCommand,
  inputs: RunInputs,
  base: CommandContext,
): Promise<number> {
  const context: RuntimeContext = { ...base, runtime: await prepareRuntime(base) };
  const { runtime, report, signal } = context;
  if (!(await startServer(context))) return signal.aborted ? EXIT_SIGINT : EXIT_FAILED;
  const result = await runtime.turn(command.message, {
    ...turnOptions(command, inputs, context),
    traceId: report.traceId,
    sink: sinkOf(context, inputs),
    signal,
  });
  return finish(result, inputs, context);
}

/** `run --server URL`: one turn on a server that runs already; nothing is started. */
export async function runOnServer(
  command: RunCommand,
  server: CliServerTarget,
  inputs: RunInputs,
  context: CommandContext,
): Promise<number> {
  const { report, signal, options } = context;
  report.output.addSecret(server.password);
  const result = await driveTurn(command.message, report.traceId, sinkOf(context, inputs), {
    ...turnOptions(command, inputs, context),
    baseUrl: server.url,
    password: server.password,
    modelId: options.modelId,
    signal,
  });
  return finish(result, inputs, context);
}

/** `serve`: start a server, print how to reach it, keep it until a signal. */
export async function serve(base: CommandContext): Promise<number> {
  const context: RuntimeContext = { ...base, runtime: await prepareRuntime(base) };
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
    const standIn = resources.llm ? ` (built-in stand-in at ${resources.llm.url})` : "";
    const temporary = resources.home?.temporary ? " (temporary, removed at exit)" : "";
    output.out(
      [
        `opencode serve listening on ${info.url}`,
        auth ? `  username: ${auth.username}\n  password: ${auth.password}` : "  no authentication",
        `  model:    litellm/${options.modelId}${standIn}`,
        `  home:     ${info.home}${temporary}`,
        auth
          ? `Run a turn on it: TAOS_OPENCODE_PASSWORD=… taos-opencode run --server ${info.url} "Hello"`
          : `Run a turn on it: taos-opencode run --server ${info.url} "Hello"`,
        "Press Ctrl-C to stop.",
        "",
      ].join("\n"),
    );
  }
  return (await untilExitOrSignal(context)) ? EXIT_FAILED : EXIT_OK;
}

/** Waits for a signal (false) or for the server to die on its own (true, reported). */
function untilExitOrSignal(context: RuntimeContext): Promise<boolean> {
  const { runtime, signal, report } = context;
  return new Promise<boolean>((resolve) => {
    if (signal.aborted) return resolve(false);
    const off = runtime.server.onExit((exit) => {
      signal.removeEventListener("abort", onAbort);
      report.output.err(
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
}
