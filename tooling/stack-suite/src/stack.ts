import { randomBytes } from "node:crypto";
import { type FakeLiteLLM, type Rule, startFakeLiteLLM } from "@taos/fake-litellm";
import {
  OpenCodeRuntime,
  type OpenCodeServerOptions,
  type RuntimeTurnDefaults,
  type WedgedTurn,
} from "@taos/opencode-runtime";
import { makeTempHome, type TempHome } from "@taos/testkit";
import { type LiteLLMProcess, type PlainRule, startLiteLLMProcess } from "./llm-process.js";
import { CapturingLogger } from "./logger.js";
import { processesOfHome } from "./processes.js";

export const MODEL_ID = "fake-model";

/** One runtime on a fresh home, its LiteLLM stand-in and a logger that keeps everything. */
export interface Stack {
  readonly llm: FakeLiteLLM;
  readonly home: TempHome;
  readonly runtime: OpenCodeRuntime;
  readonly logger: CapturingLogger;
  /** The agent's key: unique per stack, so a search for it finds only leaks. */
  readonly apiKey: string;
  /** Every pid the runtime's server had, in order (recorded by `notePid()`). */
  readonly pids: number[];
  /** Every time the runtime found its server wedged and restarted it. */
  readonly heals: WedgedTurn[];
  /** Records the server's current pid, if it has one. */
  notePid(): void;
  /** Stops the runtime, the stand-in and removes the home; returns processes still alive. */
  close(): Promise<string[]>;
}

export interface StackOptions {
  readonly rules?: readonly Rule[];
  /** Runtime options over the stack's defaults (home, litellm and logger come from the stack). */
  readonly runtime?: {
    readonly server?: Partial<Omit<OpenCodeServerOptions, "home" | "litellm" | "logger">>;
    readonly turn?: RuntimeTurnDefaults;
  };
}

/** A key that looks like a LiteLLM virtual key and appears nowhere else. */
export function makeAgentKey(): string {
  return `sk-stack-${randomBytes(16).toString("hex")}`;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const apiKey = makeAgentKey();
  const llm = await startFakeLiteLLM({
    keys: [apiKey],
    models: [MODEL_ID],
    rules: options.rules ?? [],
  });
  const home = await makeTempHome("taos-stack-");
  const logger = new CapturingLogger();
  const runtime = new OpenCodeRuntime({
    server: {
      ...options.runtime?.server,
      home: home.path,
      litellm: { baseURL: llm.url, apiKey, modelIds: [MODEL_ID] },
      logger,
    },
    turn: options.runtime?.turn,
    onWedged: (wedged) => {
      heals.push(wedged);
      notePid();
    },
  });
  const pids: number[] = [];
  const heals: WedgedTurn[] = [];
  const notePid = (): void => {
    const pid = runtime.server.pid;
    if (pid !== undefined && pids.at(-1) !== pid) pids.push(pid);
  };
  return {
    llm,
    home,
    runtime,
    logger,
    apiKey,
    pids,
    heals,
    notePid,
    async close(): Promise<string[]> {
      notePid();
      const left = await stopAndSweep(runtime, home.path);
      await llm.close();
      await home.cleanup();
      return left;
    },
  };
}

/**
 * Stops the runtime, then lists the processes of its home still alive ("pid args") and
 * kills them, so that a failing check never leaves a process behind.
 */
export async function stopAndSweep(runtime: OpenCodeRuntime, home: string): Promise<string[]> {
  await runtime.stop();
  const left = processesOfHome(home);
  for (const info of left) {
    try {
      process.kill(info.pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
  return left.map((info) => `${info.pid} ${info.args}`);
}

/** A runtime whose stand-in runs in a child process: its sockets, CPU and memory are not ours. */
export interface IsolatedStack {
  readonly runtime: OpenCodeRuntime;
  readonly llm: LiteLLMProcess;
  readonly home: TempHome;
  readonly apiKey: string;
  /** Stops everything; returns the processes of the home that were still alive (should be none). */
  close(): Promise<string[]>;
}

/** `rules` match the prompt as a substring; anything else is echoed back. */
export async function startIsolatedStack(
  rules: readonly PlainRule[] = [],
  turn?: RuntimeTurnDefaults,
): Promise<IsolatedStack> {
  const apiKey = makeAgentKey();
  const llm = await startLiteLLMProcess({ keys: [apiKey], models: [MODEL_ID], rules });
  const home = await makeTempHome("taos-stack-");
  const runtime = new OpenCodeRuntime({
    server: { home: home.path, litellm: { baseURL: llm.url, apiKey, modelIds: [MODEL_ID] } },
    ...(turn === undefined ? {} : { turn }),
  });
  return {
    runtime,
    llm,
    home,
    apiKey,
    async close(): Promise<string[]> {
      const left = await stopAndSweep(runtime, home.path);
      await llm.close();
      await home.cleanup();
      return left;
    },
  };
}
