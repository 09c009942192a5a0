import { isAbsolute } from "node:path";
import type { OpenCodeLogger, Redactor } from "@taos/internal";
import {
  OpenCodeAdapter,
  ReplyErrorCode,
  type Sink,
  type TurnResult,
} from "@taos/opencode-adapter";
import { refusedTurn } from "@taos/opencode-adapter/internals";
import { modelIdOf, type OpenCodeModel } from "@taos/opencode-config";
import { type AdapterFactory, type DriveTurnOptions, driveTurn } from "@taos/opencode-turn";
import { runHealingTurn, type WedgedTurn } from "@taos/opencode-turn/internals";
import type { AgentRecord } from "./agent.js";
import { scheduleDirectorySweep, trackDirectory } from "./directories.js";
import type { LaunchedServer } from "./launcher.js";
import type { ResolvedPoolOptions } from "./options.js";

/**
 * The per-turn options: `driveTurn`'s, less what the pool supplies (server
 * URL, credentials, provider). New options of `driveTurn` flow through.
 */
export type PoolTurnOptions = Omit<
  DriveTurnOptions,
  "baseUrl" | "username" | "password" | "providerId" | "modelId"
> & {
  /** Default: the agent's first model. */
  readonly modelId?: string;
  /**
   * Work in this directory (absolute) instead of the agent's cwd. Its opencode
   * instance is freed once the directory has been unused for `idleStopMs`.
   */
  readonly directory?: string;
  /** How long this turn may wait for a server slot. @default the pool's `queueTimeoutMs` */
  readonly queueTimeoutMs?: number;
};

/** One turn of the pool: its trace id and sink, and the turn's options (as `runtime.turn` takes them). */
export interface PoolTurnCall extends PoolTurnOptions {
  /** Stamped on every reply of the turn. */
  readonly traceId: string;
  readonly sink: Sink;
}

/** The `{ traceId, sink, ...options }` call from either form `turn` takes (the positional one is deprecated). */
export function turnCallOf(
  call: PoolTurnCall | string,
  sink: Sink | undefined,
  options: PoolTurnOptions,
): PoolTurnCall {
  return typeof call === "string" ? { ...options, traceId: call, sink: sink as Sink } : call;
}

/** Why the pool ended a turn without running it. */
export interface TurnRefusal {
  readonly code: ReplyErrorCode;
  readonly message: string;
}

/** Ends a turn that never reached opencode with one error reply, the way `driveTurn` ends a failed one. */
export async function refuseTurn(
  refusal: TurnRefusal,
  traceId: string,
  sink: Sink,
  options: PoolTurnOptions,
  secrets: Redactor,
  logger: OpenCodeLogger,
): Promise<TurnResult> {
  const aborted = refusal.code === ReplyErrorCode.Aborted || options.signal?.aborted === true;
  const { reply, result } = refusedTurn(traceId, options.sessionId ?? "", {
    error: secrets.redact(aborted ? "turn aborted" : refusal.message),
    code: aborted ? ReplyErrorCode.Aborted : refusal.code,
  });
  try {
    await sink(reply);
  } catch (sinkError) {
    logger.warn({ traceId, err: secrets.redact(String(sinkError)) }, "sink failed");
  }
  return result;
}

/** One signal aborted by any of `signals`; `dispose` removes the listeners. */
function linkSignals(signals: readonly (AbortSignal | undefined)[]): {
  readonly signal: AbortSignal;
  dispose(): void;
} {
  const controller = new AbortController();
  const cleanups: (() => void)[] = [];
  for (const signal of signals) {
    if (signal === undefined) continue;
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    const onAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener("abort", onAbort));
  }
  return {
    signal: controller.signal,
    dispose: () => {
      for (const cleanup of cleanups) cleanup();
    },
  };
}

export interface RunTurnContext {
  readonly pool: ResolvedPoolOptions;
  readonly record: AgentRecord;
  readonly text: string;
  readonly traceId: string;
  readonly sink: Sink;
  readonly options: PoolTurnOptions;
  readonly secrets: Redactor;
  readonly shutdown: AbortSignal;
  acquire(signal: AbortSignal, queueTimeoutMs: number): Promise<LaunchedServer | TurnRefusal>;
  release(server: LaunchedServer): void;
  refuse(refusal: TurnRefusal): Promise<TurnResult>;
  /** A directory of the agent may have gone unused for `idleStopMs`; `at` is the time to sweep at. */
  onDirectoryIdle(record: AgentRecord, at: number): void;
  /** Stops the agent's wedged server (the next turn starts a fresh one); whether it stopped. */
  heal(record: AgentRecord, wedged: WedgedTurn): Promise<boolean>;
}

/** Gets the agent a server (queueing, starting, evicting as needed) and drives the turn on it. */
export async function runTurn(context: RunTurnContext): Promise<TurnResult> {
  const { record, options, pool } = context;
  const directory = options.directory;
  if (directory !== undefined && (typeof directory !== "string" || !isAbsolute(directory)))
    return context.refuse({
      code: ReplyErrorCode.InvalidInput,
      message: "directory must be an absolute path",
    });
  const queueTimeoutMs = options.queueTimeoutMs ?? pool.queueTimeoutMs;
  if (typeof queueTimeoutMs !== "number" || !(queueTimeoutMs > 0))
    return context.refuse({
      code: ReplyErrorCode.InvalidInput,
      message: "queueTimeoutMs must be a number > 0",
    });
  const link = linkSignals([options.signal, context.shutdown, record.abort.signal]);
  try {
    return await runHealingTurn({
      traceId: context.traceId,
      sink: context.sink,
      watch: record.wedge,
      run: (sink) => driveOnServer(context, sink, link.signal, queueTimeoutMs),
      heal: (wedged) => context.heal(record, wedged),
    });
  } finally {
    link.dispose();
  }
}

/** Gets the agent a server and drives the turn on it once. */
async function driveOnServer(
  context: RunTurnContext,
  sink: Sink,
  signal: AbortSignal,
  queueTimeoutMs: number,
): Promise<TurnResult> {
  const { record, options, pool } = context;
  const directory = options.directory;
  const acquired = await context.acquire(signal, queueTimeoutMs);
  if (!("baseUrl" in acquired)) return await context.refuse(acquired);
  const server = acquired;
  const cwd = record.settings.cwd ?? record.home;
  const ownDirectory = directory !== undefined && directory !== cwd ? directory : undefined;
  const untrack = ownDirectory === undefined ? undefined : trackDirectory(record, ownDirectory);
  try {
    const { directory: _d, queueTimeoutMs: _q, modelId, adapterFactory, ...passThrough } = options;
    return await driveTurn(context.text, context.traceId, sink, {
      ...(pool.permissionPolicy === undefined ? {} : { permission: pool.permissionPolicy }),
      ...(pool.questionPolicy === undefined ? {} : { question: pool.questionPolicy }),
      logger: pool.logger,
      ...passThrough,
      baseUrl: server.baseUrl,
      providerId: pool.providerId,
      modelId: modelId ?? defaultModelId(record.settings.modelIds),
      ...(server.auth ? { username: server.auth.username, password: server.auth.password } : {}),
      signal,
      ...withDirectory(adapterFactory, directory),
    });
  } finally {
    if (untrack) {
      untrack();
      scheduleDirectorySweep(record, pool.idleStopMs, (at) => context.onDirectoryIdle(record, at));
    }
    context.release(server);
  }
}

/** An adapter factory that points new sessions at `directory` (over the caller's own factory). */
function withDirectory(
  factory: AdapterFactory | undefined,
  directory: string | undefined,
): { adapterFactory?: AdapterFactory } {
  if (directory === undefined) return factory === undefined ? {} : { adapterFactory: factory };
  const build: AdapterFactory = factory ?? ((config, sink) => new OpenCodeAdapter(config, sink));
  return { adapterFactory: (config, sink) => build({ ...config, directory }, sink) };
}

function defaultModelId(models: readonly OpenCodeModel[]): string {
  const first = models[0];
  return first === undefined ? "" : modelIdOf(first);
}
