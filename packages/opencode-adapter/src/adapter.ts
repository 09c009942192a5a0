import { randomUUID } from "node:crypto";
import { abortable } from "@taos/internal";
import type { OpenCodeAdapterConfig, ResolvedAdapterConfig } from "./client/config.js";
import { resolveAdapterConfig } from "./client/config.js";
import type { ServerConnection } from "./client/connection.js";
import { acquireConnection } from "./client/connection.js";
import {
  OpenCodeAdapterClosedError,
  OpenCodeAdapterConfigError,
  OpenCodeHttpError,
} from "./client/errors.js";
import type { EventHub } from "./client/event-hub.js";
import { errorField } from "./client/logger.js";
import { checkServerVersion } from "./client/version-check.js";
import type { TurnFailure } from "./codec.js";
import { ReplyErrorCode } from "./error-codes.js";
import { ABORTED, failureOf, refusedTurn } from "./failure.js";
import type { Reply, Sink } from "./reply.js";
import { childSessionListener } from "./turn/child-session.js";
import { newMessageId } from "./turn/message-id.js";
import { newTurn, type PromptOptions, promptBody, settingsOf } from "./turn/prompt-request.js";
import type { SessionRef } from "./turn/recovery.js";
import type { Turn } from "./turn/turn.js";
import type { OpenCodeTurnResult } from "./turn/turn-options.js";

interface SessionInfo {
  readonly id?: unknown;
  readonly directory?: unknown;
}

/**
 * Drives turns of one opencode session over `opencode serve`'s HTTP API and its shared
 * event stream, sending taOS replies to the sink.
 *
 * ```ts
 * const adapter = new OpenCodeAdapter({ baseUrl, password, modelId: "gpt-4o" }, (reply) => send(reply));
 * const result = await adapter.prompt("Hello", { traceId: "t-1" });
 * await adapter.close();
 * ```
 */
export class OpenCodeAdapter {
  private readonly config: ResolvedAdapterConfig;
  private readonly sink: Sink;
  private connection: ServerConnection | undefined;
  private session: SessionRef | undefined;
  private sessionPending: Promise<SessionRef> | undefined;
  private closing: Promise<void> | undefined;
  private readonly turns = new Set<Turn>();
  private queue: Promise<void> = Promise.resolve();

  /** Checks the whole config at once; throws `OpenCodeAdapterConfigError` naming the bad field. */
  constructor(config: OpenCodeAdapterConfig, sink: Sink) {
    this.config = resolveAdapterConfig(config);
    if (typeof sink !== "function") {
      throw new OpenCodeAdapterConfigError({ field: "sink", message: "must be a function" });
    }
    this.sink = sink;
  }

  /** The session of this adapter, once `ensureSession()` has found or created it. */
  get sessionId(): string | undefined {
    return this.session?.id;
  }

  /**
   * The session to prompt: `config.sessionId` after checking that it exists
   * (`OpenCodeSessionNotFoundError` if not), else a new one. Idempotent.
   */
  async ensureSession(signal?: AbortSignal): Promise<string> {
    if (this.closing !== undefined) throw new OpenCodeAdapterClosedError();
    return (await this.sessionRef(signal)).id;
  }

  /**
   * Runs one turn: subscribes, sends the prompt, streams replies to the sink until the
   * session is idle again. Never rejects: failures end in one `error` reply and
   * `status: "error"` (or `"aborted"`).
   */
  async prompt(text: string, options: PromptOptions = {}): Promise<OpenCodeTurnResult> {
    const traceId =
      typeof options?.traceId === "string" && options.traceId !== ""
        ? options.traceId
        : randomUUID();
    const signal = options?.signal;
    let turn: Turn | undefined;
    const unlisten: (() => void)[] = [];
    let leaveSession: (() => void) | undefined;
    // One turn at a time per adapter: a conversation is sequential, and two turns on one
    // session would both see its events.
    const previous = this.queue;
    let release!: () => void;
    this.queue = new Promise<void>((resolve) => {
      release = resolve;
    });
    try {
      const settings = settingsOf(this.config, options);
      // Checked before anything is sent; the message id is added once the session is ours.
      const prompt = promptBody(this.config, text, options, settings);
      await abortable(previous, signal);
      if (signal?.aborted) throw signal.reason;
      const connection = this.connect();
      // Open the stream while the session is looked up; nothing of ours can come before the prompt.
      const ready = connection.hub.ready(signal);
      ready.catch(() => undefined);
      const session = await this.sessionRef(signal);
      leaveSession = await connection.sessionTurns.enter(session.id, signal);
      // Made only now, after the session's previous turn ended: opencode orders a session's
      // messages by id, and a user message older than the last answer counts as answered.
      const userMessageId = newMessageId();
      const body = { ...prompt, messageID: userMessageId };
      turn = newTurn(this.config, this.sink, connection, session, settings, {
        traceId,
        signal,
        userMessageId,
      });
      const current = turn;
      this.turns.add(current);
      // Subscribe before sending: no event of this turn can be missed.
      listenTo(connection.hub, session.id, current, unlisten);
      await abortable(ready, signal);
      // Open then, and still open now that the listener is in (a drop in between reopens it).
      await connection.hub.ready(signal);
      if (this.closing !== undefined) throw new OpenCodeAdapterClosedError();
      await current.run(body);
      return current.result();
    } catch (error) {
      return this.failed(turn, traceId, error, signal);
    } finally {
      for (const stop of unlisten) stop();
      leaveSession?.();
      if (turn !== undefined) this.turns.delete(turn);
      // The next prompt may start once this one has ended (also when it gave up waiting).
      void previous.then(release);
    }
  }

  /** Ends running turns (asking opencode to abort them), the event subscription and the pool. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const failure: TurnFailure = {
        error: new OpenCodeAdapterClosedError().message,
        code: ReplyErrorCode.AdapterClosed,
      };
      await Promise.all([...this.turns].map((turn) => turn.stop(failure)));
      const connection = this.connection;
      this.connection = undefined;
      await connection?.release();
    })();
    return this.closing;
  }

  private connect(): ServerConnection {
    if (this.closing !== undefined) throw new OpenCodeAdapterClosedError();
    this.connection ??= acquireConnection(this.config);
    return this.connection;
  }

  private async sessionRef(signal: AbortSignal | undefined): Promise<SessionRef> {
    if (this.session !== undefined) return this.session;
    const connection = this.connect();
    this.sessionPending ??= this.findOrCreateSession(connection).then(
      (session) => {
        this.session = session;
        return session;
      },
      (error: unknown) => {
        this.sessionPending = undefined;
        throw error;
      },
    );
    // A caller that gave up (abort) leaves this promise unobserved.
    this.sessionPending.catch(() => undefined);
    return abortable(this.sessionPending, signal);
  }

  private async findOrCreateSession(connection: ServerConnection): Promise<SessionRef> {
    await checkServerVersion(connection, this.config);
    const { sessionId, directory, requestTimeoutMs, logger } = this.config;
    if (sessionId !== undefined) {
      const info = await connection.http.json<SessionInfo>(
        "GET",
        `/session/${encodeURIComponent(sessionId)}`,
        { timeoutMs: requestTimeoutMs, sessionId },
      );
      logger.debug({ sessionId }, "continuing an existing opencode session");
      return {
        id: sessionId,
        directory: typeof info?.directory === "string" ? info.directory : directory,
      };
    }
    const info = await connection.http.json<SessionInfo>("POST", "/session", {
      query: { directory },
      body: {},
      timeoutMs: requestTimeoutMs,
    });
    if (typeof info?.id !== "string") {
      throw new OpenCodeHttpError({
        method: "POST",
        url: `${connection.http.origin}${connection.http.path("/session")}`,
        statusCode: 200,
        detail: "the answer has no session id",
      });
    }
    logger.debug({ sessionId: info.id }, "created an opencode session");
    return {
      id: info.id,
      directory: typeof info.directory === "string" ? info.directory : directory,
    };
  }

  /** Ends a turn that failed on this side with one `error` reply (or `aborted`). */
  private async failed(
    turn: Turn | undefined,
    traceId: string,
    error: unknown,
    signal: AbortSignal | undefined,
  ): Promise<OpenCodeTurnResult> {
    const failure = signal?.aborted ? ABORTED : failureOf(error, [this.config.password]);
    this.config.logger.warn(
      { traceId, sessionId: this.session?.id, err: errorField(error) },
      "opencode turn failed",
    );
    if (turn !== undefined) {
      if (!turn.finished) turn.fail(failure);
      await turn.settled();
      return turn.result();
    }
    // Failed before a turn existed (bad input, no session): one error reply all the same.
    const sessionId = this.session?.id ?? this.config.sessionId ?? "";
    const { reply, result } = refusedTurn(traceId, sessionId, failure);
    await this.safeSink(reply, traceId);
    return { ...result, traceId, decisions: [] };
  }

  private async safeSink(reply: Reply, traceId: string): Promise<void> {
    try {
      await this.sink(reply);
    } catch (error) {
      this.config.logger.warn(
        { traceId, kind: reply.kind, err: errorField(error) },
        "the reply sink failed",
      );
    }
  }
}

/** Routes the session's events, and those of the subagents it starts, to the turn. */
function listenTo(hub: EventHub, sessionId: string, turn: Turn, unlisten: (() => void)[]): void {
  unlisten.push(hub.listen(sessionId, turn));
  turn.onChildSession = (childId) =>
    unlisten.push(
      hub.listen(
        childId,
        childSessionListener((frame) => turn.onEvent(frame)),
      ),
    );
}
