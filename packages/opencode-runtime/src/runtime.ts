import type {
  Attachment,
  OpenCodeLogger,
  PermissionPolicy,
  QuestionPolicy,
  Sink,
  TurnResult,
} from "@taos/opencode-adapter";
import { OpenCodeServer, type OpenCodeServerOptions } from "@taos/opencode-server";
import { driveTurn } from "@taos/opencode-turn";

export interface OpenCodeRuntimeOptions {
  /** The opencode home (absolute): config, data and cache of this runtime's server. */
  readonly home: string;
  /** The LiteLLM proxy, the agent's key and the models it may use (the first is the default). */
  readonly litellm: OpenCodeServerOptions["litellm"];
  /** opencode's `permission` config block, written into the server's config. */
  readonly permission?: OpenCodeServerOptions["permission"];
  /** Omitted or 0: a free port. */
  readonly port?: number;
  /** Omitted: a random one; `null`: no auth (logged as a warning). */
  readonly password?: string | null;
  /** The directory opencode works in; default `home`. */
  readonly cwd?: string;
  /** pino-compatible; silent by default. */
  readonly logger?: OpenCodeLogger;
  /** How each turn answers `permission.asked`; default reject, so a headless turn never hangs. */
  readonly permissionPolicy?: PermissionPolicy;
  /** How each turn answers `question.asked`; default reject. */
  readonly questionPolicy?: QuestionPolicy;
}

export interface RuntimeTurnOptions {
  /** Stamped on every reply of the turn. */
  readonly traceId: string;
  readonly sink: Sink;
  /** Continue this session (from an earlier `TurnResult`). */
  readonly sessionId?: string;
  /** Default: the first of `litellm.modelIds`. */
  readonly modelId?: string;
  readonly attachments?: readonly Attachment[];
  readonly signal?: AbortSignal;
}

/** How long `stop()` lets aborted turns end before the server goes. */
const TURN_DRAIN_MS = 5_000;

/**
 * One `opencode serve` and the turns run on it. The server starts on the first
 * turn (or `start()`), once however many turns ask; a server that died is
 * started again by the next turn. `stop()` aborts running turns, then stops it.
 */
export class OpenCodeRuntime {
  readonly server: OpenCodeServer;
  readonly #options: OpenCodeRuntimeOptions;
  readonly #turns = new Set<{ controller: AbortController; done: Promise<unknown> }>();
  #stopped = false;

  constructor(options: OpenCodeRuntimeOptions) {
    this.#options = options;
    const serverOptions: {
      -readonly [K in keyof OpenCodeServerOptions]: OpenCodeServerOptions[K];
    } = {
      home: options.home,
      litellm: options.litellm,
    };
    if (options.permission !== undefined) serverOptions.permission = options.permission;
    if (options.port !== undefined) serverOptions.port = options.port;
    if (options.password !== undefined) serverOptions.password = options.password;
    if (options.cwd !== undefined) serverOptions.cwd = options.cwd;
    if (options.logger !== undefined) serverOptions.logger = options.logger;
    this.server = new OpenCodeServer(serverOptions);
  }

  /** Starts the server (or makes sure it still runs); also undoes `stop()`. */
  async start(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#stopped = false;
    await this.server.ensureRunning(options.signal ? { signal: options.signal } : {});
  }

  /**
   * Runs one turn; never rejects. Replies go to `sink`; a failure ends in one
   * `error` reply and a result with status `"error"` (or `"aborted"`).
   */
  async turn(text: string, options: RuntimeTurnOptions): Promise<TurnResult> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    const done = this.#runTurn(text, options, controller.signal);
    const entry = { controller, done };
    this.#turns.add(entry);
    try {
      return await done;
    } finally {
      this.#turns.delete(entry);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  async #runTurn(
    text: string,
    options: RuntimeTurnOptions,
    signal: AbortSignal,
  ): Promise<TurnResult> {
    let failure: string | undefined;
    if (this.#stopped) failure = "the runtime is stopped (start() opens it again)";
    else {
      try {
        await this.server.ensureRunning({ signal });
      } catch (error) {
        failure = `opencode server could not be started: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const baseUrl = this.server.baseUrl;
    if (failure !== undefined || baseUrl === undefined) {
      return this.#refuse(
        options,
        signal.aborted,
        failure ?? "opencode server exited as the turn began",
      );
    }
    const { traceId, sink } = options;
    const logger = this.#options.logger;
    const auth = this.server.auth;
    return driveTurn(text, traceId, sink, {
      baseUrl,
      modelId: options.modelId ?? this.#defaultModel(),
      ...(this.#options.litellm.providerId ? { providerId: this.#options.litellm.providerId } : {}),
      ...(auth ? { username: auth.username, password: auth.password } : {}),
      ...(options.sessionId ? { sessionId: options.sessionId } : {}),
      ...(options.attachments ? { attachments: options.attachments } : {}),
      ...(this.#options.permissionPolicy ? { permission: this.#options.permissionPolicy } : {}),
      ...(this.#options.questionPolicy ? { question: this.#options.questionPolicy } : {}),
      ...(logger ? { logger } : {}),
      signal,
    });
  }

  /** Ends a turn that never reached opencode, the way driveTurn ends a failed one. */
  async #refuse(
    options: RuntimeTurnOptions,
    aborted: boolean,
    failure: string,
  ): Promise<TurnResult> {
    // The server's errors are redacted already; this guards against a key in any other message.
    const error = failure.split(this.#options.litellm.apiKey).join("***");
    try {
      await options.sink({ kind: "error", trace_id: options.traceId, error });
    } catch (sinkError) {
      this.#options.logger?.warn(
        { traceId: options.traceId, err: String(sinkError) },
        "sink failed",
      );
    }
    return {
      sessionId: options.sessionId ?? "",
      status: aborted ? "aborted" : "error",
      text: "",
      error,
    };
  }

  #defaultModel(): string {
    const first = this.#options.litellm.modelIds[0];
    // The server validates modelIds at start; this only satisfies the type.
    return first ?? "";
  }

  /** Aborts running turns, lets them end (up to 5 s), then stops the server. Safe twice. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const running = [...this.#turns];
    for (const turn of running) turn.controller.abort(new Error("the runtime is stopping"));
    if (running.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(running.map((turn) => turn.done)),
        new Promise((resolve) => {
          timer = setTimeout(resolve, TURN_DRAIN_MS);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.server.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
