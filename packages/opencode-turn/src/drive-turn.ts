import { startTurnSpan, type TurnTelemetry } from "@taos/internal";
import {
  type AskDecision,
  type Attachment,
  ErrorCode,
  OpenCodeAdapter,
  type OpenCodeAdapterConfig,
  type OpenCodeLogger,
  OpenCodeSessionNotFoundError,
  type PermissionPolicy,
  type QuestionPolicy,
  type Reply,
  type Sink,
  type TurnResult,
} from "@taos/opencode-adapter";

/** What `driveTurn` needs from an adapter; `OpenCodeAdapter` is one. */
export interface TurnAdapter {
  ensureSession(signal?: AbortSignal): Promise<string>;
  prompt(
    text: string,
    options: {
      readonly traceId: string;
      readonly attachments?: readonly Attachment[];
      readonly signal?: AbortSignal;
    },
  ): Promise<TurnResult>;
  close(): void | Promise<void>;
}

/** Builds the adapter of one turn: `new OpenCodeAdapter(config, sink)` by default. */
export type AdapterFactory = (
  config: OpenCodeAdapterConfig,
  sink: Sink,
) => TurnAdapter | Promise<TurnAdapter>;

export interface DriveTurnOptions {
  /** The `opencode serve` URL, e.g. `http://127.0.0.1:4096`. */
  readonly baseUrl: string;
  /** The model id within the provider, e.g. a LiteLLM model name. */
  readonly modelId: string;
  /** Default `"litellm"`. */
  readonly providerId?: string;
  /** Basic auth user name; default `"opencode"`. */
  readonly username?: string;
  /** Basic auth password of the server; never shown in a reply or a log line. */
  readonly password?: string;
  /** Continue this session (returned by an earlier turn) instead of creating one. */
  readonly sessionId?: string;
  readonly attachments?: readonly Attachment[];
  /** Aborts the turn: the adapter asks opencode to stop and the turn ends `aborted`. */
  readonly signal?: AbortSignal;
  /** How `permission.asked` is answered; the adapter's default rejects. */
  readonly permission?: PermissionPolicy;
  /** How `question.asked` is answered; the adapter's default rejects. */
  readonly question?: QuestionPolicy;
  /** Pino-compatible; silent by default. */
  readonly logger?: OpenCodeLogger;
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
  const logger = options.logger;
  const secrets = options.password ? [options.password] : [];
  let terminalSent = false;

  // Stamps the trace id, tracks terminal replies and never lets the sink throw.
  const guardedSink: Sink = async (reply: Reply): Promise<void> => {
    const stamped = reply.trace_id === traceId ? reply : { ...reply, trace_id: traceId };
    if (stamped.kind === "error" || stamped.kind === "final") terminalSent = true;
    telemetry.onReply(stamped);
    try {
      await sink(stamped);
    } catch (error) {
      logger?.warn({ traceId, kind: stamped.kind, err: describe(error, secrets) }, "sink failed");
    }
  };

  let sessionId = "";
  const fail = async (what: string, error: unknown): Promise<TurnResult> => {
    const aborted = options.signal?.aborted === true;
    const message = aborted ? "turn aborted" : `${what}: ${describe(error, secrets)}`;
    if (!terminalSent) {
      const code = aborted ? ErrorCode.Aborted : errorCode(error);
      await guardedSink({
        kind: "error",
        trace_id: traceId,
        error: message,
        ...(code === undefined ? {} : { code }),
      });
    }
    return { sessionId, status: aborted ? "aborted" : "error", text: "", error: message };
  };

  let adapter: TurnAdapter;
  try {
    const onDecision = (decision: AskDecision): void => telemetry.onDecision(decision);
    const config = { ...adapterConfig(options), onDecision };
    adapter = await (options.adapterFactory ?? defaultFactory)(config, guardedSink);
  } catch (error) {
    return fail("opencode adapter could not be created", error);
  }

  try {
    try {
      sessionId = await adapter.ensureSession(options.signal);
    } catch (error) {
      return await fail(
        options.sessionId
          ? `opencode session ${options.sessionId} could not be resumed`
          : "opencode session could not be created",
        error,
      );
    }
    if (options.signal?.aborted) return await fail("turn aborted", undefined);
    let result: TurnResult;
    try {
      result = await adapter.prompt(text, {
        traceId,
        ...(options.attachments ? { attachments: options.attachments } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      return await fail("opencode turn failed", error);
    }
    if (result.status !== "completed" && !terminalSent) {
      // The adapter ended a failed turn without saying so: say it once here.
      const message = result.error ?? `turn ended with status ${result.status}`;
      await guardedSink({ kind: "error", trace_id: traceId, error: message });
    }
    return result.sessionId ? result : { ...result, sessionId };
  } finally {
    try {
      await adapter.close();
    } catch (error) {
      // The turn's outcome stands; a failed close only leaks a connection.
      logger?.warn({ traceId, err: describe(error, secrets) }, "adapter close failed");
    }
  }
}

function adapterConfig(options: DriveTurnOptions): OpenCodeAdapterConfig {
  const config: { -readonly [K in keyof OpenCodeAdapterConfig]: OpenCodeAdapterConfig[K] } = {
    baseUrl: options.baseUrl,
    modelId: options.modelId,
    providerId: options.providerId ?? "litellm",
  };
  if (options.username !== undefined) config.username = options.username;
  if (options.password !== undefined) config.password = options.password;
  if (options.sessionId !== undefined) config.sessionId = options.sessionId;
  if (options.permission !== undefined) config.permission = options.permission;
  if (options.question !== undefined) config.question = options.question;
  if (options.logger !== undefined) config.logger = options.logger;
  return config;
}

/** A stable code when the failure carries one (e.g. `session_not_found`, `ECONNREFUSED`). */
function errorCode(error: unknown): string | undefined {
  // Lets a caller tell a stale session id (start a new conversation) from other failures.
  if (OpenCodeSessionNotFoundError.isInstance(error)) return ErrorCode.SessionNotFound;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && code !== "" ? code : undefined;
}

/** A one-line-per-cause message for a user: no stack, secrets masked. */
function describe(error: unknown, secrets: readonly string[]): string {
  let message: string;
  if (error instanceof Error) message = error.message || error.name;
  else if (typeof error === "string") message = error;
  else {
    try {
      message = JSON.stringify(error) ?? String(error);
    } catch {
      message = String(error);
    }
  }
  const stackAt = message.search(/\n\s+at /);
  if (stackAt !== -1) message = message.slice(0, stackAt);
  for (const secret of secrets) message = message.split(secret).join("***");
  return message.trim() || "unknown error";
}
