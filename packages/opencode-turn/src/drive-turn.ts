import { describeError, startTurnSpan, type TurnTelemetry } from "@taos/internal";
import {
  type AskDecision,
  failureOf,
  OpenCodeAdapter,
  type OpenCodeAdapterConfig,
  type PromptOptions,
  type Reply,
  ReplyErrorCode,
  type Sink,
  type TurnResult,
} from "@taos/opencode-adapter";
import { refusedTurn } from "@taos/opencode-adapter/internals";

/** The adapter's per-prompt options, except the trace id: `driveTurn` takes that as an argument. */
export type TurnPromptOptions = Omit<PromptOptions, "traceId">;

/** The options `driveTurn` passes to `prompt()`: all of the turn's options, with its trace id. */
export type TurnPromptCall = PromptOptions & { readonly traceId: string };

/**
 * What `driveTurn` needs from an adapter; `OpenCodeAdapter` is one. The adapter is
 * the turn's one ordered delivery: `prompt` hands replies to its sink one at a time,
 * waits for a promise the sink returns before the next, and resolves once the sink
 * has taken the last. `driveTurn` adds no queue of its own.
 */
export interface TurnAdapter {
  ensureSession(signal?: AbortSignal): Promise<string>;
  prompt(text: string, options: TurnPromptCall): Promise<TurnResult>;
  close(): void | Promise<void>;
}

/** Builds the adapter of one turn: `new OpenCodeAdapter(config, sink)` by default. */
export type AdapterFactory = (
  config: OpenCodeAdapterConfig,
  sink: Sink,
) => TurnAdapter | Promise<TurnAdapter>;

/**
 * The adapter's config and its per-prompt options, as one object: whatever the adapter
 * accepts, a turn accepts. The adapter takes its config fields from it and `prompt()` its
 * per-prompt fields (both read only the fields they know).
 */
export interface DriveTurnOptions extends OpenCodeAdapterConfig, TurnPromptOptions {
  /** Builds the adapter; for tests and for runtimes that wrap the adapter. */
  readonly adapterFactory?: AdapterFactory;
}

const defaultFactory: AdapterFactory = (config, sink) => new OpenCodeAdapter(config, sink);

/**
 * Runs one turn: builds an adapter, makes sure a session exists, sends the
 * prompt and streams the replies to `sink`. Never rejects: a failure anywhere
 * ends in exactly one `error` reply (unless the adapter already sent it) and a
 * result with status `"error"`. The adapter is always closed.
 */
export async function driveTurn(
  text: string,
  traceId: string,
  sink: Sink,
  options: DriveTurnOptions,
): Promise<TurnResult> {
  // One `invoke_agent opencode` span per turn when the host installed @opentelemetry/api.
  const telemetry = startTurnSpan({
    traceId,
    modelId: options.modelId,
    providerId: options.providerId ?? "litellm",
    baseUrl: options.baseUrl,
    ...(options.sessionId ? { sessionId: options.sessionId } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
  });
  const result = await telemetry.within(() => runTurn(text, traceId, sink, options, telemetry));
  telemetry.end(result);
  return result;
}

async function runTurn(
  text: string,
  traceId: string,
  sink: Sink,
  options: DriveTurnOptions,
  telemetry: TurnTelemetry,
): Promise<TurnResult> {
  const { adapterFactory = defaultFactory, ...turnOptions } = options;
  const replies = new TurnReplies(traceId, sink, options, telemetry);
  const onDecision = (decision: AskDecision): void => {
    telemetry.onDecision(decision);
    options.onDecision?.(decision);
  };
  let adapter: TurnAdapter;
  try {
    adapter = await adapterFactory({ ...turnOptions, onDecision }, replies.sink);
  } catch (error) {
    return replies.fail("", "opencode adapter could not be created", error);
  }
  try {
    return await runOnAdapter(adapter, text, { ...turnOptions, traceId }, replies);
  } finally {
    try {
      await adapter.close();
    } catch (error) {
      // The turn's outcome stands; a failed close only leaks a connection.
      options.logger?.warn({ traceId, err: replies.describe(error) }, "adapter close failed");
    }
  }
}

async function runOnAdapter(
  adapter: TurnAdapter,
  text: string,
  call: TurnPromptCall & Pick<OpenCodeAdapterConfig, "sessionId">,
  replies: TurnReplies,
): Promise<TurnResult> {
  let sessionId: string;
  try {
    sessionId = await adapter.ensureSession(call.signal);
  } catch (error) {
    const what = call.sessionId
      ? `opencode session ${call.sessionId} could not be resumed`
      : "opencode session could not be created";
    return replies.fail("", what, error);
  }
  if (call.signal?.aborted) return replies.fail(sessionId, "turn aborted", undefined);
  let result: TurnResult;
  try {
    result = await adapter.prompt(text, call);
  } catch (error) {
    return replies.fail(sessionId, "opencode turn failed", error);
  }
  if (result.status !== "completed" && !replies.terminalSent) {
    // The adapter ended a failed turn without saying so: say it once here.
    const error = result.error ?? `turn ended with status ${result.status}`;
    const code = result.code ?? (result.status === "aborted" ? ReplyErrorCode.Aborted : undefined);
    await replies.send({
      kind: "error",
      trace_id: call.traceId,
      error,
      ...(code === undefined ? {} : { code }),
    });
  }
  return result.sessionId ? result : { ...result, sessionId };
}

/**
 * The sink of one turn: stamps the trace id, notes a terminal reply and hands each reply
 * straight to the caller's sink, which never throws through it (a failure is logged). No
 * queue: the adapter delivers in order; the replies of `driveTurn`'s own wait for the last
 * delivery, so they come after the adapter's.
 */
class TurnReplies {
  terminalSent = false;
  readonly #traceId: string;
  readonly #target: Sink;
  readonly #options: DriveTurnOptions;
  readonly #telemetry: TurnTelemetry;
  /** The caller's sink still taking the latest reply (when it returned a promise). */
  #pending: Promise<void> | undefined;

  constructor(traceId: string, target: Sink, options: DriveTurnOptions, telemetry: TurnTelemetry) {
    this.#traceId = traceId;
    this.#target = target;
    this.#options = options;
    this.#telemetry = telemetry;
  }

  /** Hands the reply on now; returns a promise only when the caller's sink did. */
  readonly sink = (reply: Reply): Promise<void> | undefined => {
    const stamped =
      reply.trace_id === this.#traceId ? reply : { ...reply, trace_id: this.#traceId };
    if (stamped.kind === "error" || stamped.kind === "final") this.terminalSent = true;
    this.#telemetry.onReply(stamped);
    let taken: void | Promise<void>;
    try {
      taken = this.#target(stamped);
    } catch (error) {
      this.#sinkFailed(stamped, error);
      return undefined;
    }
    if (taken === undefined || typeof (taken as Promise<void>).then !== "function")
      return undefined;
    const pending = Promise.resolve(taken).then(
      () => undefined,
      (error: unknown) => this.#sinkFailed(stamped, error),
    );
    this.#pending = pending;
    return pending;
  };

  /** One of `driveTurn`'s own replies: after whatever the caller's sink is still taking. */
  async send(reply: Reply): Promise<void> {
    await this.#pending;
    await this.sink(reply);
  }

  #sinkFailed(reply: Reply, error: unknown): void {
    this.#options.logger?.warn(
      { traceId: this.#traceId, kind: reply.kind, err: this.describe(error) },
      "sink failed",
    );
  }

  /** A one-line message for a user: no stack, the password masked. */
  describe(error: unknown): string {
    return describeError(error, [this.#options.password]);
  }

  /** Ends the turn failed (or aborted, when the signal fired), with one error reply unless sent. */
  async fail(sessionId: string, what: string, error: unknown): Promise<TurnResult> {
    const failure = this.#options.signal?.aborted
      ? { error: "turn aborted", code: ReplyErrorCode.Aborted }
      : failureOf(error, [this.#options.password]);
    const message =
      failure.code === ReplyErrorCode.Aborted ? failure.error : `${what}: ${failure.error}`;
    const { reply, result } = refusedTurn(this.#traceId, sessionId, { ...failure, error: message });
    if (!this.terminalSent) await this.send(reply);
    return result;
  }
}
