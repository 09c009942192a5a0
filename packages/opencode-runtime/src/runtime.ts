import { describeError, maskSecrets, startHeal } from "@taos/internal";
import {
  type ConnectionHold,
  failureOf,
  holdConnection,
  ReplyErrorCode,
  type Sink,
  type TurnFailure,
  type TurnResult,
} from "@taos/opencode-adapter";
import { refusedTurn } from "@taos/opencode-adapter/internals";
import { modelIdOf } from "@taos/opencode-config";
import {
  InvalidServerOptionError,
  OpenCodeServer,
  type OpenCodeServerOptions,
} from "@taos/opencode-server";
import { type DriveTurnOptions, driveTurn, type WedgedTurn } from "@taos/opencode-turn";
import { runHealingTurn, WedgeWatch, wedgedAfterOption } from "@taos/opencode-turn/internals";

/** The turn options the runtime takes from its server: where to connect, as whom, which provider. */
export type ServerProvidedTurnOption = "baseUrl" | "username" | "password" | "providerId";

/**
 * Defaults for every turn of a runtime: any option of `driveTurn` except those the
 * server provides and those that only make sense per turn (`sessionId`, `signal`).
 * `modelId` defaults to the first of `server.litellm.modelIds`, `logger` to `server.logger`.
 */
export type RuntimeTurnDefaults = Partial<
  Omit<DriveTurnOptions, ServerProvidedTurnOption | "sessionId" | "signal">
>;

export interface OpenCodeRuntimeOptions {
  /** The server of this runtime: home, LiteLLM proxy and key, port, password, ... */
  readonly server: OpenCodeServerOptions;
  /** Options of every turn (agent, system prompt, policies, timeouts, ...); a turn's own win. */
  readonly turn?: RuntimeTurnDefaults;
  /**
   * Restart the server once this many turns in a row ended `no_answer` or
   * `opencode_server_error` (opencode takes prompts and answers none: its health check
   * still passes). The turn that tipped it is sent again once on the fresh server when
   * opencode never started it; sessions survive (they live in the home). 0: never.
   * @default 2
   */
  readonly wedgedAfter?: number;
  /** Called when the server is found wedged, before it is restarted (also logged at warn). */
  readonly onWedged?: (wedged: WedgedTurn) => void;
}

/** One turn: its trace id and sink, and any option of `driveTurn` the server does not provide. */
export interface RuntimeTurnOptions
  extends Partial<Omit<DriveTurnOptions, ServerProvidedTurnOption>> {
  /** Stamped on every reply of the turn. */
  readonly traceId: string;
  readonly sink: Sink;
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
  readonly #wedge: WedgeWatch;
  #healing: Promise<boolean> | undefined;
  #phase: "open" | "stopped" = "open";
  /** The running server's connection, kept open between turns (each turn's adapter would close it). */
  #connection: { readonly key: string; readonly hold: ConnectionHold } | undefined;

  /** Validates the server's options (a `TaosOpenCodeError` naming the field); starts nothing. */
  constructor(options: OpenCodeRuntimeOptions) {
    this.#options = options;
    this.server = new OpenCodeServer(options.server);
    this.#wedge = new WedgeWatch(
      wedgedAfterOption(options.wedgedAfter, (message) => {
        throw new InvalidServerOptionError({ field: "wedgedAfter", message });
      }),
    );
  }

  /** Starts the server (or makes sure it still runs); also undoes `stop()`. */
  async start(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#phase = "open";
    await this.server.ensureRunning(options);
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
    if (this.#phase === "stopped") {
      const error = "the runtime is stopped (start() opens it again)";
      return this.#refuse(options, signal, { error, code: ReplyErrorCode.ServerStopped });
    }
    return runHealingTurn({
      traceId: options.traceId,
      sink: options.sink,
      watch: this.#wedge,
      run: (sink) => this.#driveOnce(text, { ...options, sink }, signal),
      heal: (wedged) => this.#heal(wedged, signal),
    });
  }

  /** Starts the server if needed and drives the turn on it once. */
  async #driveOnce(
    text: string,
    options: RuntimeTurnOptions,
    signal: AbortSignal,
  ): Promise<TurnResult> {
    try {
      await this.server.ensureRunning({ signal });
    } catch (error) {
      const failure = failureOf(error);
      return this.#refuse(options, signal, {
        error: `opencode server could not be started: ${failure.error}`,
        // A version out of range or a bad option keeps its own code.
        code: failure.code ?? ReplyErrorCode.ServerStartFailed,
      });
    }
    const baseUrl = this.server.baseUrl;
    if (baseUrl === undefined) {
      const error = "opencode server exited as the turn began";
      return this.#refuse(options, signal, { error, code: ReplyErrorCode.ServerStartFailed });
    }
    const { traceId, sink, ...own } = options;
    const { server, turn: defaults } = this.#options;
    const auth = this.server.auth;
    this.#holdConnection(baseUrl, auth);
    return driveTurn(text, traceId, sink, {
      logger: server.logger,
      ...defaults,
      ...own,
      modelId: own.modelId ?? defaults?.modelId ?? this.#defaultModel(),
      baseUrl,
      providerId: server.litellm.providerId,
      username: auth?.username,
      password: auth?.password,
      signal,
    });
  }

  /** Holds the connection of the server at `baseUrl` (a restarted one may be elsewhere). */
  #holdConnection(baseUrl: string, auth: OpenCodeServer["auth"]): void {
    const key = `${baseUrl}\n${auth?.password ?? ""}`;
    if (this.#connection?.key === key) return;
    this.#releaseConnection();
    const hold = holdConnection({ baseUrl, ...(auth ?? {}), logger: this.#options.server.logger });
    this.#connection = { key, hold };
  }

  /** Before the server stops or restarts, so that its stream ends as asked, not as a drop. */
  #releaseConnection(): void {
    void this.#connection?.hold.release().catch(() => undefined);
    this.#connection = undefined;
  }

  /** Restarts a wedged server, once however many turns ask at the same time. */
  async #heal(wedged: WedgedTurn, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted || this.#phase === "stopped") return false;
    this.#logger()?.warn(
      { traceId: wedged.traceId, code: wedged.code, turns: wedged.turns },
      "opencode server is wedged (it takes prompts and answers none): restarting it",
    );
    try {
      this.#options.onWedged?.(wedged);
    } catch (error) {
      this.#logger()?.warn({ err: describeError(error) }, "onWedged failed");
    }
    this.#healing ??= this.#restart(wedged).finally(() => {
      this.#healing = undefined;
    });
    return this.#healing;
  }

  async #restart(wedged: WedgedTurn): Promise<boolean> {
    const telemetry = startHeal({ code: wedged.code, turns: wedged.turns });
    try {
      this.#releaseConnection();
      await this.server.restart();
      telemetry.done("restarted");
      return true;
    } catch (error) {
      const err = maskSecrets(describeError(error), [this.#options.server.litellm.apiKey]);
      this.#logger()?.warn({ err }, "restarting the wedged opencode server failed");
      telemetry.done("failed");
      return false;
    }
  }

  /** Ends a turn that never reached opencode, the way driveTurn ends a failed one. */
  async #refuse(
    options: RuntimeTurnOptions,
    signal: AbortSignal,
    failure: TurnFailure,
  ): Promise<TurnResult> {
    // The server's errors are redacted already; this guards against a key in any other message.
    const error = maskSecrets(failure.error, [this.#options.server.litellm.apiKey]);
    const aborted = signal.aborted;
    const { reply, result } = refusedTurn(options.traceId, options.sessionId ?? "", {
      error: aborted ? "turn aborted" : error,
      code: aborted ? ReplyErrorCode.Aborted : failure.code,
    });
    try {
      await options.sink(reply);
    } catch (sinkError) {
      this.#logger()?.warn({ traceId: options.traceId, err: String(sinkError) }, "sink failed");
    }
    return result;
  }

  #logger(): OpenCodeServerOptions["logger"] {
    return this.#options.turn?.logger ?? this.#options.server.logger;
  }

  #defaultModel(): string {
    // The server's constructor checked that modelIds holds at least one model.
    const first = this.#options.server.litellm.modelIds[0];
    return first === undefined ? "" : modelIdOf(first);
  }

  /** Aborts running turns, lets them end (up to 5 s), then stops the server. Safe twice. */
  async stop(): Promise<void> {
    this.#phase = "stopped";
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
    this.#releaseConnection();
    await this.server.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
