import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FakeLiteLLM, startFakeLiteLLM } from "@taos/fake-litellm";
import type { OpenCodeLogger } from "@taos/opencode-adapter";
import type { CliCommonOptions } from "./cli-command-types.js";
import { message, type Output, type Reporter, withSpinner } from "./cli-output.js";
import { OpenCodeRuntime } from "./runtime.js";

/** Everything one run or serve owns, released in reverse order whatever happens. */
export class Resources {
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

/** What a command works with, whichever server it uses. */
export interface CommandContext {
  readonly options: CliCommonOptions;
  readonly report: Reporter;
  readonly signal: AbortSignal;
  readonly logger: OpenCodeLogger | undefined;
  readonly resources: Resources;
}

/** A command that starts its own server: the context and that server's runtime. */
export interface RuntimeContext extends CommandContext {
  readonly runtime: OpenCodeRuntime;
}

/** The home, the stand-in (without --base-url) and the runtime of a command's own server. */
export async function prepareRuntime(context: CommandContext): Promise<OpenCodeRuntime> {
  const { options, resources, report, logger } = context;
  if (options.home) {
    await mkdir(options.home, { recursive: true, mode: 0o700 });
    resources.home = { path: options.home, temporary: false };
  } else {
    resources.home = { path: await mkdtemp(join(tmpdir(), "taos-opencode-")), temporary: true };
  }
  let baseURL: string;
  let apiKey: string;
  if (options.upstream.kind === "litellm") {
    ({ baseURL, apiKey } = options.upstream);
  } else {
    apiKey = `sk-taos-${randomBytes(18).toString("base64url")}`;
    // A scripted agent turn (reasoning, one bash call, an answer quoting its output): shows
    // what the runtime is for without a model.
    resources.llm = await startFakeLiteLLM({
      keys: [apiKey],
      models: [options.modelId],
      defaultScript: "agent",
    });
    baseURL = resources.llm.url;
    logger?.info({ url: baseURL }, "built-in LiteLLM stand-in started");
  }
  report.output.addSecret(apiKey);
  resources.runtime = new OpenCodeRuntime({
    server: {
      home: resources.home.path,
      litellm: { baseURL, apiKey, modelIds: [options.modelId] },
      port: options.port,
      cwd: options.cwd,
      logger,
    },
    // A run is one turn: a server that took it and answered nothing is restarted at once,
    // and the message sent again (opencode never started it).
    wedgedAfter: 1,
    onWedged: (wedged) =>
      report.output.err(
        `opencode took the message but did not answer (${wedged.code}): restarting it and sending the message again`,
      ),
  });
  return resources.runtime;
}

/** True once the server runs; false when it could not start (reported) or a signal came. */
export async function startServer(context: RuntimeContext): Promise<boolean> {
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
