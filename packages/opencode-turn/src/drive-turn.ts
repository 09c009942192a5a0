import { describeError, OrderedDelivery, startTurnSpan, type TurnTelemetry } from "@taos/internal";
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

/** What `driveTurn` needs from an adapter; `OpenCodeAdapter` is one. */
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
    await replies.sink({
      kind: "error",
      trace_id: call.traceId,
      error,
      ...(code === undefined ? {} : { code }),
    });
  }
  return result.sessionId ? result : { ...result, sessionId };
}

/**
 * The sink of one turn: stamps the trace id, notes a terminal reply, hands replies to the
 * caller's sink in order and never lets it throw (a failing sink is logged).
 */
class TurnReplies {
  terminalSent = false;
  readonly #traceId: string;
  readonly #options: DriveTurnOptions;
  readonly #telemetry: TurnTelemetry;
  readonly #delivery: OrderedDelivery<Reply>;

  constructor(traceId: string, target: Sink, options: DriveTurnOptions, telemetry: TurnTelemetry) {
    this.#traceId = traceId;
    this.#options = options;
    this.#telemetry = telemetry;
    this.#delivery = new OrderedDelivery<Reply>(target, (reply, error) => {
      options.logger?.warn({ traceId, kind: reply.kind, err: this.describe(error) }, "sink failed");
    });
  }

  /** Resolves once this reply (and every one before it) has been taken by the caller's sink. */
  readonly sink = (reply: Reply): Promise<void> => {
    const stamped =
      reply.trace_id === this.#traceId ? reply : { ...reply, trace_id: this.#traceId };
    if (stamped.kind === "error" || stamped.kind === "final") this.terminalSent = true;
    this.#telemetry.onReply(stamped);
    this.#delivery.push(stamped);
    return this.#delivery.settled();
  };

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
    if (!this.terminalSent) await this.sink(reply);
    return result;
  }
}
